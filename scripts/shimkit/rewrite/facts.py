"""Engine-neutral facts about one file, and the text edits planned from them.

Both engines (Bowler/fissix and LibCST) reduce a file to the same :class:`Facts`; every decision
and every byte of replacement text is then computed from these facts and the original text only,
so the two engines produce identical output by construction. Offsets are ``str`` indices into the
original text; ``end`` is exclusive.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Chain:
    """``a.b.c`` as it appears in an expression: a name not preceded by ``.``, then attributes.

    ``ends[i]`` is the end offset of ``parts[i]``; the chain starts at ``start``. A bare name is a
    chain of one part. Names inside import statements, keyword-argument names and f-strings are
    never chains.
    """

    parts: tuple[str, ...]
    start: int
    ends: tuple[int, ...]


@dataclass(frozen=True)
class StringToken:
    """One string literal token (f-strings included, as one opaque token)."""

    start: int
    end: int
    concatenated: bool  # part of an implicit concatenation ("a" "b")


@dataclass(frozen=True)
class TryImport:
    """A ``try:`` with exactly one ``except`` and no ``else``/``finally``, both suites imports only.

    ``body`` and ``handler`` list the start offsets of the import statements of each suite.
    """

    start: int  # offset of the ``try`` keyword
    body: tuple[int, ...]
    handler_type: str  # source text of the exception expression, whitespace removed
    handler: tuple[int, ...]


@dataclass(frozen=True)
class ImportStatement:
    """An ``import``/``from ... import`` small statement (no trailing ``;`` or newline)."""

    start: int
    end: int


@dataclass(frozen=True)
class Facts:
    imports: tuple[ImportStatement, ...]
    chains: tuple[Chain, ...]
    strings: tuple[StringToken, ...]
    tries: tuple[TryImport, ...]


class FactCollector:
    """What both engines record while they walk a file, and the one way it becomes :class:`Facts`
    (sorted by offset, whatever order the engine met them in)."""

    def __init__(self) -> None:
        self.imports: list[ImportStatement] = []
        self.chains: list[Chain] = []
        self.strings: list[StringToken] = []
        self.tries: list[TryImport] = []

    def facts(self) -> Facts:
        return Facts(
            tuple(sorted(self.imports, key=lambda s: s.start)),
            tuple(sorted(self.chains, key=lambda c: c.start)),
            tuple(sorted(self.strings, key=lambda s: s.start)),
            tuple(sorted(self.tries, key=lambda t: t.start)),
        )


@dataclass(frozen=True)
class Edit:
    start: int
    end: int
    text: str


def apply_edits(text: str, edits: list[Edit] | tuple[Edit, ...]) -> str:
    """Splice non-overlapping ``edits`` into ``text``."""
    out: list[str] = []
    pos = 0
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        if edit.start < pos:
            raise ValueError(f"overlapping edits at offset {edit.start}")
        out.append(text[pos : edit.start])
        out.append(edit.text)
        pos = edit.end
    out.append(text[pos:])
    return "".join(out)


def line_of(text: str, offset: int) -> int:
    """1-based line number of ``offset``."""
    return text.count("\n", 0, offset) + 1


def line_start(text: str, offset: int) -> int:
    return text.rfind("\n", 0, offset) + 1


def line_end(text: str, offset: int) -> int:
    """Offset of the line break (``\\r\\n`` or ``\\n``) ending the line of ``offset``."""
    end = text.find("\n", offset)
    if end < 0:
        return len(text)
    return end - 1 if end > 0 and text[end - 1] == "\r" else end


def indent_at(text: str, offset: int) -> str:
    """The leading whitespace of the line containing ``offset``."""
    start = line_start(text, offset)
    pos = start
    while pos < len(text) and text[pos] in " \t\f":
        pos += 1
    return text[start:pos]
