"""Names spelled otherwise than Python reads them: ``old`` spelled with a full-width ``o`` is
``old`` to Python, so ``from shop import`` it imports ``shop.old``.

Python reads every identifier in its NFKC form, but both engines (and the planner) compare names
as the text spells them. So a file whose identifiers are not all in that form is rewritten through
its *read* form, the text with each identifier replaced by the form Python reads, and the edits
planned there are mapped back onto the file as written: only what the rewrite changes is
respelled; every other identifier keeps the user's spelling, which Python reads the same way.
Strings and comments are never respelled (``import_module`` of such a string looks for another
file).
"""

from __future__ import annotations

import io
import keyword
import tokenize
import unicodedata
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from .facts import Edit


@dataclass(frozen=True)
class Respelled:
    """One identifier of the written text, ``[start, end)``, and where its read form lies in the
    read text, ``[read_start, read_end)``."""

    start: int
    end: int
    read_start: int
    read_end: int


@dataclass(frozen=True)
class ReadForm:
    """The read form of a text and the identifiers that differ in it, in order."""

    written: str
    read: str
    respelled: tuple[Respelled, ...]

    def to_written(self, offset: int) -> int:
        """The written offset of read ``offset``, which lies outside every respelled name or on
        one of its ends."""
        index = bisect_right([name.read_start for name in self.respelled], offset) - 1
        if index < 0:
            return offset
        name = self.respelled[index]
        if offset >= name.read_end:
            return name.end + offset - name.read_end
        return name.start if offset == name.read_start else name.end

    def _inside(self, offset: int) -> Respelled | None:
        index = bisect_right([name.read_start for name in self.respelled], offset) - 1
        if index < 0:
            return None
        name = self.respelled[index]
        return name if name.read_start < offset < name.read_end else None

    def edit_to_written(self, edit: Edit) -> Edit:
        """``edit`` of the read text as an edit of the written one; an end that falls inside a
        respelled name takes in the whole name, with the read form of the part it did not edit
        (Python reads the two alike)."""
        start, end, text = edit.start, edit.end, edit.text
        head = self._inside(start)
        if head is not None:
            text = self.read[head.read_start : start] + text
            start = head.read_start
        tail = self._inside(end)
        if tail is not None:
            text += self.read[end : tail.read_end]
            end = tail.read_end
        return Edit(self.to_written(start), self.to_written(end), text)

    def offsets_to_written(self, offsets: Sequence[int]) -> tuple[int, ...]:
        return tuple(self.to_written(offset) for offset in offsets)


def read_form(text: str) -> ReadForm | None:
    """``text`` with its identifiers in the form Python reads; ``None`` when that is ``text``
    itself (an ASCII text always is) or when it does not tokenize (the engines say why)."""
    if text.isascii():
        return None
    respelled: list[Respelled] = []
    parts: list[str] = []
    written = read = 0
    try:
        lines = _line_offsets(text)
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type != tokenize.NAME or token.string.isascii():
                continue
            form = unicodedata.normalize("NFKC", token.string)
            if form == token.string or keyword.iskeyword(form):
                continue  # a name read as a keyword's word stays a name only as written
            start = lines[token.start[0] - 1] + token.start[1]
            end = start + len(token.string)
            parts += [text[written:start], form]
            read += start - written
            respelled.append(Respelled(start, end, read, read + len(form)))
            read += len(form)
            written = end
    except (tokenize.TokenError, SyntaxError):
        return None
    if not respelled:
        return None
    parts.append(text[written:])
    return ReadForm(text, "".join(parts), tuple(respelled))


def _line_offsets(text: str) -> list[int]:
    """Where each line starts, read as the tokenizer reads them."""
    offsets = [0]
    for line in io.StringIO(text):
        offsets.append(offsets[-1] + len(line))
    return offsets


__all__ = ["ReadForm", "Respelled", "read_form"]
