"""Edits to the ``.importlinter`` INI that keep every other byte (comments, order) as it was.

The shim allowlist lives between two comment lines inside a contract's ``ignore_imports``::

    ignore_imports =
        # allowlist:begin
        pkg.importer -> pkg.shim
        # allowlist:end
"""

from __future__ import annotations

import configparser
import re
from collections.abc import Iterable, Sequence

from shimkit.apply.errors import ApplyError

__all__ = [
    "BEGIN_MARKER",
    "END_MARKER",
    "read_protected_modules",
    "render_allowlist",
    "render_root_packages",
]

BEGIN_MARKER = "# allowlist:begin"
END_MARKER = "# allowlist:end"
CONTRACT_PREFIX = "importlinter:contract:"
INDENT = "    "

_SECTION = re.compile(r"^\s*\[([^\]]+)\]\s*$")
_KEY = re.compile(r"^([^\s#;=:][^=:]*?)\s*[=:]")


def _split(text: str) -> tuple[list[str], str, bool]:
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.replace("\r\n", "\n").split("\n")
    trailing = bool(lines) and lines[-1] == ""
    if trailing:
        lines.pop()
    return lines, newline, trailing


def _join(lines: list[str], newline: str, trailing: bool) -> str:
    return newline.join(lines) + (newline if trailing or not lines else "")


def _sections(lines: Sequence[str]) -> list[tuple[str, int, int]]:
    """(name, header index, end index) of every section."""
    heads = [(m.group(1).strip(), i) for i, line in enumerate(lines) if (m := _SECTION.match(line))]
    return [
        (name, start, heads[n + 1][1] if n + 1 < len(heads) else len(lines))
        for n, (name, start) in enumerate(heads)
    ]


def _find_section(text: str, lines: Sequence[str], wanted: str) -> tuple[int, int]:
    sections = _sections(lines)
    for name, start, end in sections:
        if name in (wanted, CONTRACT_PREFIX + wanted):
            return start, end
    parser = _parser(text)
    for name, start, end in sections:
        if (
            name.startswith(CONTRACT_PREFIX)
            and parser.has_section(name)
            and parser.get(name, "name", fallback="").strip() == wanted
        ):
            return start, end
    raise ApplyError(f".importlinter has no contract {wanted!r}")


def _parser(text: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ApplyError(f"cannot parse .importlinter: {first}") from None
    return parser


def _key_span(lines: Sequence[str], start: int, end: int, key: str) -> tuple[int, int] | None:
    """Line span of ``key = value`` plus its indented continuation lines within a section."""
    for index in range(start + 1, end):
        match = _KEY.match(lines[index])
        if match and match.group(1).strip().lower() == key:
            stop = index + 1
            while stop < end and (lines[stop][:1] in (" ", "\t") or not lines[stop].strip()):
                stop += 1
            while stop > index + 1 and not lines[stop - 1].strip():
                stop -= 1
            return index, stop
    return None


def render_allowlist(
    text: str, contract_name_or_section: str, entries: Sequence[tuple[str, str]]
) -> str:
    """Rewrite the allowlist block of one contract with ``importer -> shim`` lines.

    The contract is found by section name (``importlinter:contract:ID``), id, or ``name``. Lines
    are sorted and deduplicated; only the lines between the markers change. A contract without an
    ``ignore_imports`` option gets one (with the markers) at the end of its section; one that has
    ``ignore_imports`` but no markers is an error.
    """
    lines, newline, trailing = _split(text)
    start, end = _find_section(text, lines, contract_name_or_section)
    rendered = sorted({f"{importer} -> {imported}" for importer, imported in entries})

    begin = next((i for i in range(start, end) if lines[i].strip() == BEGIN_MARKER), None)
    if begin is None:
        if any(lines[i].strip() == END_MARKER for i in range(start, end)):
            raise ApplyError(f"{contract_name_or_section}: '{END_MARKER}' without '{BEGIN_MARKER}'")
        if _key_span(lines, start, end, "ignore_imports") is not None:
            raise ApplyError(
                f"{contract_name_or_section}: ignore_imports has no "
                f"'{BEGIN_MARKER}' / '{END_MARKER}' lines"
            )
        block = ["ignore_imports =", INDENT + BEGIN_MARKER]
        block += [INDENT + line for line in rendered] + [INDENT + END_MARKER]
        insert_at = end
        while insert_at > start + 1 and not lines[insert_at - 1].strip():
            insert_at -= 1
        lines[insert_at:insert_at] = block
        return _join(lines, newline, trailing)

    finish = next((i for i in range(begin + 1, end) if lines[i].strip() == END_MARKER), None)
    if finish is None:
        raise ApplyError(f"{contract_name_or_section}: '{BEGIN_MARKER}' without '{END_MARKER}'")
    indent = lines[begin][: len(lines[begin]) - len(lines[begin].lstrip())] or INDENT
    lines[begin + 1 : finish] = [indent + line for line in rendered]
    return _join(lines, newline, trailing)


def render_root_packages(text: str, packages: Iterable[str]) -> str:
    """Rewrite ``root_packages`` (or a lone ``root_package``) in ``[importlinter]``."""
    lines, newline, trailing = _split(text)
    wanted = sorted(set(packages))
    if not wanted:
        raise ApplyError("root_packages cannot be empty")
    section = next(((s, e) for name, s, e in _sections(lines) if name == "importlinter"), None)
    block = ["root_packages =", *(INDENT + package for package in wanted)]
    if section is None:
        lines[0:0] = ["[importlinter]", *block, ""]
        return _join(lines, newline, trailing or len(lines) == len(block) + 2)
    start, end = section
    span = _key_span(lines, start, end, "root_packages") or _key_span(
        lines, start, end, "root_package"
    )
    if span is None:
        lines[start + 1 : start + 1] = block
    else:
        lines[span[0] : span[1]] = block
    return _join(lines, newline, trailing)


def _values(raw: str) -> list[str]:
    return [line.strip() for line in raw.splitlines() if line.strip()]


def read_protected_modules(text: str) -> tuple[str, ...]:
    """Every module listed in any contract's ``protected_modules`` (file order, no duplicates)."""
    parser = _parser(text)
    seen: dict[str, None] = {}
    for name in parser.sections():
        if name.startswith(CONTRACT_PREFIX) and parser.has_option(name, "protected_modules"):
            for module in _values(parser.get(name, "protected_modules")):
                seen.setdefault(module, None)
    return tuple(seen)
