"""``rewrite_notebook``: the code cells of an ``.ipynb`` (nbformat 4), one ``rewrite_source`` each.

IPython syntax is masked before parsing: a line whose first non-blank character starts a line
magic (``%``) or shell escape (``!``) becomes a comment placeholder, and is restored afterwards.
A cell starting with a cell magic (``%%``) is rewritten (its first line masked) only for magics
whose body is Python (``%%time``, ``%%timeit``, ``%%capture``, ``%%prun``, ``%%debug``); any other
cell magic cell is left alone. The JSON is re-serialised only when a cell changed, with the
indentation, key order, ``ensure_ascii=False`` and final newline of the original; each ``source``
keeps its shape (list of lines or one string); outputs are never touched.
"""

from __future__ import annotations

import json
import re
from typing import Any

from shimkit.domain.model import Moves

from .errors import RewriteError
from .source import rewrite_source

_PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug"})
_MAGIC_LINE = re.compile(r"^([ \t]*)([%!].*)$")
_PLACEHOLDER = re.compile(r"^([ \t]*)# shimkit-magic-(\d+)$")


def _indent_of(text: str) -> int | str | None:
    match = re.search(r"^\{\r?\n([ \t]+)\"", text)
    if match is None:
        return None
    whitespace = match.group(1)
    return len(whitespace) if set(whitespace) == {" "} else whitespace


def _mask(source: str) -> tuple[str, list[str]] | None:
    lines = source.split("\n")
    if lines and lines[0].lstrip().startswith("%%"):
        magic = lines[0].lstrip()[2:].split(maxsplit=1)
        if not magic or magic[0] not in _PYTHON_CELL_MAGICS:
            return None
    masked: list[str] = []
    for index, line in enumerate(lines):
        match = _MAGIC_LINE.match(line.rstrip("\r"))
        if match is None:
            continue
        cr = "\r" if line.endswith("\r") else ""
        masked.append(match.group(2))
        lines[index] = f"{match.group(1)}# shimkit-magic-{len(masked) - 1}{cr}"
    return "\n".join(lines), masked


def _unmask(source: str, masked: list[str]) -> str:
    lines = source.split("\n")
    for index, line in enumerate(lines):
        cr = "\r" if line.endswith("\r") else ""
        match = _PLACEHOLDER.match(line.rstrip("\r"))
        if match is not None:
            lines[index] = match.group(1) + masked[int(match.group(2))] + cr
    return "\n".join(lines)


def rewrite_notebook(text: str, path: str, moves: Moves) -> str:
    """The notebook ``text`` with every code cell rewritten; ``text`` itself if nothing changed."""
    try:
        notebook: dict[str, Any] = json.loads(text)
    except json.JSONDecodeError as error:
        raise RewriteError(path, error.lineno, f"not a JSON notebook: {error.msg}") from error
    changed = False
    for number, cell in enumerate(notebook.get("cells", []), start=1):
        if cell.get("cell_type") != "code":
            continue
        raw = cell.get("source", "")
        source = "".join(raw) if isinstance(raw, list) else raw
        masked = _mask(source)
        if masked is None:
            continue
        try:
            outcome = rewrite_source(masked[0], f"{path}[cell {number}]", moves, None, False)
        except RewriteError as error:
            raise RewriteError(path, error.line, f"cell {number}: {error.message}") from error
        if not outcome.engine:
            continue
        new = _unmask(outcome.text, masked[1])
        cell["source"] = new.splitlines(keepends=True) if isinstance(raw, list) else new
        changed = True
    if not changed:
        return text
    dumped = json.dumps(notebook, indent=_indent_of(text), ensure_ascii=False)
    newline = "\r\n" if "\r\n" in text else "\n"
    if newline != "\n":
        dumped = dumped.replace("\n", newline)
    return dumped + (newline if text.endswith(("\n", "\r\n")) else "")
