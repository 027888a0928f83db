"""The parts of a file a rewrite has to look at: whole top-level statements that can name a move.

A rewrite only ever edits import statements, name chains and strings that reach a moved module,
and every one of those shows a word the moves (or the file's own imports of them) name. So the
engines are run on the top-level statements that show such a word, joined into one shorter text;
the rest of the file is never given to fissix or LibCST. Top-level statements parse on their own,
and the facts the engines collect are mapped back to offsets of the whole file, so the planner
sees exactly the facts it would see on the whole file (every fact it uses lies in a statement that
shows one of the words). The cost is linear in the file: one pass of the stdlib tokenizer to find
where the top-level statements start, then work proportional to the statements kept.
"""

from __future__ import annotations

import io
import re
import tokenize
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from shimkit.domain.imports import RELATIVE_IMPORT

from .facts import Chain, Edit, Facts, ImportStatement, StringToken, TryImport

_CLAUSES = frozenset({"else", "elif", "except", "finally"})
_SKIPPED = frozenset({tokenize.NL, tokenize.COMMENT, tokenize.ENCODING})
# ``NAME as alias`` in an import list: the aliases a module can be bound to
_ALIAS = re.compile(r"(?:\bimport|,|\()\s*[\w.]+\s+as\s+([A-Za-z_]\w*)")


def statement_starts(text: str) -> tuple[int, ...]:
    """Offsets where each top-level statement (decorators and ``else``/``except`` clauses
    included) begins; ``(0,)`` when the text cannot be cut (it does not tokenize, or uses a lone
    ``\\r`` line break that the tokenizer and ``ast`` count differently)."""
    if text.count("\r") != text.count("\r\n"):
        return (0,)
    reader = io.StringIO(text)
    line_offsets = [0]

    def readline() -> str:
        line = reader.readline()
        line_offsets.append(line_offsets[-1] + len(line))
        return line

    starts = [0]
    depth = 0
    new_line = True
    decorated = False
    try:
        for token in tokenize.generate_tokens(readline):
            kind = token.type
            if kind == tokenize.INDENT:
                depth += 1
            elif kind == tokenize.DEDENT:
                depth -= 1
            elif kind == tokenize.NEWLINE:
                new_line = True
            elif kind == tokenize.ENDMARKER:
                break
            elif kind not in _SKIPPED and new_line:
                new_line = False
                if depth == 0:
                    offset = line_offsets[token.start[0] - 1]
                    if not decorated and token.string not in _CLAUSES and offset > starts[-1]:
                        starts.append(offset)
                    decorated = token.string == "@"
    except (tokenize.TokenError, SyntaxError):
        return (0,)
    return tuple(starts)


_NO_CODE = frozenset(
    {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.ENCODING, tokenize.ENDMARKER}
)


def holds_code(text: str) -> bool:
    """Whether ``text`` holds any token besides comments and line breaks. A text that does not
    tokenize counts as code: the engines are the ones to say why it does not parse."""
    try:
        tokens = tokenize.generate_tokens(io.StringIO(text).readline)
        return any(token.type not in _NO_CODE for token in tokens)
    except (tokenize.TokenError, SyntaxError):
        return True


def _words(pattern: Iterable[str]) -> re.Pattern[str] | None:
    alternatives = sorted({re.escape(word) for word in pattern})
    if not alternatives:
        return None
    return re.compile(r"(?<![\w.])(?:" + "|".join(alternatives) + r")(?!\w)")


@dataclass(frozen=True)
class Regions:
    """Some of the top-level statements of ``text``, merged into segments, and their join."""

    text: str
    segments: tuple[tuple[int, int], ...]  # (start, end) in ``text``, sorted, disjoint
    reduced: str  # the segments' texts joined
    reduced_starts: tuple[int, ...]  # where each segment starts in ``reduced``
    original_starts: tuple[int, ...]  # where each segment starts in ``text``

    @classmethod
    def of(cls, text: str, segments: Sequence[tuple[int, int]]) -> Regions:
        reduced_starts: list[int] = []
        position = 0
        for start, end in segments:
            reduced_starts.append(position)
            position += end - start
        reduced = "".join(text[start:end] for start, end in segments)
        originals = tuple(start for start, _ in segments)
        return cls(text, tuple(segments), reduced, tuple(reduced_starts), originals)

    @property
    def whole(self) -> bool:
        return self.segments == ((0, len(self.text)),)

    def to_original(self, offset: int) -> int:
        index = bisect_right(self.reduced_starts, offset) - 1
        return self.segments[index][0] + offset - self.reduced_starts[index]

    def segment_of(self, offset: int) -> int:
        return bisect_right(self.original_starts, offset) - 1

    def facts_to_original(self, facts: Facts) -> Facts:
        if self.whole:
            return facts
        at = self.to_original
        return Facts(
            tuple(ImportStatement(at(s.start), at(s.end)) for s in facts.imports),
            tuple(
                Chain(c.parts, at(c.start), tuple(at(end) for end in c.ends)) for c in facts.chains
            ),
            tuple(StringToken(at(s.start), at(s.end), s.concatenated) for s in facts.strings),
            tuple(
                TryImport(
                    at(t.start),
                    tuple(at(o) for o in t.body),
                    t.handler_type,
                    tuple(at(o) for o in t.handler),
                )
                for t in facts.tries
            ),
        )

    def edits_to_reduced(self, edits: list[Edit]) -> list[Edit]:
        if self.whole:
            return edits
        out: list[Edit] = []
        for edit in edits:
            index = self.segment_of(edit.start)
            start, end = self.segments[index]
            if not start <= edit.start <= edit.end <= end:
                raise ValueError(f"an edit at offset {edit.start} crosses a statement boundary")
            base = self.reduced_starts[index] - start
            out.append(Edit(edit.start + base, edit.end + base, edit.text))
        return out

    def expand(self, new_reduced: str, edits: Sequence[Edit]) -> str:
        """The whole text with each segment replaced by its rewritten version in ``new_reduced``
        (the segments grew or shrank by what the ``edits``, in ``text`` offsets, changed)."""
        if self.whole:
            return new_reduced
        growth = [0] * len(self.segments)
        for edit in edits:
            growth[self.segment_of(edit.start)] += len(edit.text) - (edit.end - edit.start)
        if len(new_reduced) != len(self.reduced) + sum(growth):
            raise ValueError("the rewritten statements do not match the edits planned for them")
        pieces: list[str] = []
        previous_end = 0
        position = 0
        for (start, end), grown in zip(self.segments, growth, strict=True):
            pieces.append(self.text[previous_end:start])
            length = end - start + grown
            pieces.append(new_reduced[position : position + length])
            position += length
            previous_end = end
        pieces.append(self.text[previous_end:])
        return "".join(pieces)


def chunks_of(text: str, starts: Sequence[int]) -> list[tuple[int, int]]:
    ends = [*starts[1:], len(text)]
    return list(zip(starts, ends, strict=True))


def chunks_with(text: str, starts: Sequence[int], pattern: re.Pattern[str] | None) -> set[int]:
    """Indices of the chunks (top-level statements from ``starts``) where ``pattern`` matches."""
    if pattern is None:
        return set()
    return {bisect_right(starts, match.start()) - 1 for match in pattern.finditer(text)}


def merged(text: str, starts: Sequence[int], chosen: Iterable[int]) -> list[tuple[int, int]]:
    """The chosen chunks as disjoint segments, adjacent chunks joined."""
    chunks = chunks_of(text, starts)
    segments: list[tuple[int, int]] = []
    for index in sorted(chosen):
        start, end = chunks[index]
        if segments and segments[-1][1] == start:
            segments[-1] = (segments[-1][0], end)
        else:
            segments.append((start, end))
    return segments


def _parent_imports(text: str, starts: Sequence[int], parents: Iterable[str]) -> set[int]:
    """Indices of the top-level import statements showing a package above a moved module
    (``import a`` reaches ``a.old`` as ``a.old.name``)."""
    words = _words(part for parent in parents for part in parent.split("."))
    if words is None:
        return set()
    chunks = chunks_of(text, starts)
    return {
        index
        for index, (start, end) in enumerate(chunks)
        if text.startswith(("import", "from"), start) and words.search(text, start, end)
    }


def engine_regions(
    text: str,
    starts: Sequence[int],
    leaves: Iterable[str],
    unnamed: bool = False,
    parents: Iterable[str] = (),
) -> Regions:
    """The statements the engines must see: those showing the last component of a moved module
    (or, ``unnamed``: a moved package holds the file, a relative import), those using a name such
    a module is bound to (``import a.old as x``: ``x``), those showing a word taken from it
    (``x.name``: ``name``, for the planner's clash checks), and the imports of the packages above
    a moved module (``parents``)."""
    if len(starts) <= 1:
        return Regions.of(text, [(0, len(text))])
    needles = re.compile("|".join(sorted(re.escape(leaf) for leaf in set(leaves))))
    chosen = chunks_with(text, starts, needles) | _parent_imports(text, starts, parents)
    if unnamed:
        chosen |= chunks_with(text, starts, RELATIVE_IMPORT)
    chunks = chunks_of(text, starts)
    seen = "".join(text[chunks[i][0] : chunks[i][1]] for i in sorted(chosen))
    aliases = set(_ALIAS.findall(seen))
    chosen |= chunks_with(text, starts, _words(aliases))
    seen = "".join(text[chunks[i][0] : chunks[i][1]] for i in sorted(chosen))
    holders = "|".join(sorted(re.escape(word) for word in {*aliases, *leaves}))
    attribute = re.compile(r"\b(?:" + holders + r")\s*\.\s*([A-Za-z_]\w*)")
    chosen |= chunks_with(text, starts, _words(attribute.findall(seen)))
    return Regions.of(text, merged(text, starts, chosen))


__all__ = [
    "Regions",
    "chunks_with",
    "engine_regions",
    "holds_code",
    "merged",
    "statement_starts",
]
