"""How IPython reads a notebook code cell, as plain text: one reading for analysis and rewrite.

``read_cell(source)`` finds the lines of a cell that IPython (8, ``IPython.core.inputtransformer2``)
turns into calls rather than running as Python, and masks them, so that ``ast``, fissix and LibCST
all see the same Python with the same line numbers:

- escaped lines: a logical line whose first token is ``%`` (line magic, ``%pinfo obj``), ``!``
  / ``!!`` (shell), ``?`` / ``??`` (help), or an autocall escape ``,`` ``;`` ``/``;
- assignments from a magic or the shell: the first ``=`` at bracket depth 0 of a logical line
  followed by ``%name`` (``files = %sx ls``) or ``!`` (``x = !ls``, ``a, b = !cmd``);
- help syntax at the end of a logical line: ``obj?``, ``obj.attr??``, ``%magic?`` (the whole
  logical line is the help request, as in IPython);
- each of these with the lines it continues over by a trailing backslash.

Logical lines are found as Python's tokenizer finds them, so nothing inside a string, brackets or
a comment is ever taken for IPython syntax. The first non-blank line of a cell may be a cell magic
(``%%name options``): the body of one that runs Python (``PYTHON_CELL_MAGICS``) is read like a
cell of its own; any other cell magic (``%%bash``, ``%%writefile``, ...) makes the whole cell
foreign, neither analysed nor rewritten.

A masked logical line becomes ``pass  # <marker>-<n>`` at its indentation (so a block holding only
a magic still parses), each physical line it continues over becomes ``# <marker>-<n>``; the line
count never changes. ``IPythonCell.restore`` puts every masked line back byte for byte.

IPython's clean-up of pasted prompts (``>>>``, ``In [1]:``) and of a cell indented as a whole is
not reproduced: such cells do not parse here, and are reported as parse failures.
"""

from __future__ import annotations

import bisect
import enum
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

# cell magics whose body IPython runs as (IPython-flavoured) Python
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug"})

_ESCAPES = frozenset("!?%,;/")
# operators that begin with an escape character and so do not escape a line
_NOT_ESCAPES = ("!=", "%=", "/=", "//")
_MARKER = "shimkit-ipython"
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)?")
_ENDING = re.compile(r"(?:\r\n|\r|\n)\Z")
# IPython's ``_help_end_re``
_HELP_END = re.compile(
    r"""(%{0,2}
    (?!\d)[\w*]+            # Variable name
    (\.(?!\d)[\w*]+|\[-?[0-9]+\])*       # .etc.etc or [0], we only support literal integers.
    )
    (\?\??)$                # ? or ??
    """,
    re.VERBOSE,
)
# What the scan of a logical line must tell apart: line ends, comments, strings, brackets and the
# operators that hold a ``=``; any other run of characters is one ``run`` token (a string prefix
# included: the end of a string does not depend on it).
_TOKEN = re.compile(
    r"""
    (?P<newline>\r\n|\r|\n)
    |(?P<continuation>\\(?:\r\n|\r|\n))
    |(?P<comment>\#[^\r\n]*)
    |(?P<string>'''|\"\"\"|'|")
    |(?P<op>\*\*=|//=|>>=|<<=|[-+*/%@&|^<>=!:]=)
    |(?P<run>[^\r\n'"()\[\]{}=!%?\#\\\-+*/@&|^<>:]+)
    |(?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
# the rest of a string literal after its opening quote (the patterns of the ``tokenize`` module)
_STRING_REST = {
    "'": re.compile(r"[^\r\n'\\]*(?:\\.[^\r\n'\\]*)*'", re.DOTALL),
    '"': re.compile(r'[^\r\n"\\]*(?:\\.[^\r\n"\\]*)*"', re.DOTALL),
    "'''": re.compile(r"[^'\\]*(?:(?:\\.|'(?!''))[^'\\]*)*'''", re.DOTALL),
    '"""': re.compile(r'[^"\\]*(?:(?:\\.|"(?!""))[^"\\]*)*"""', re.DOTALL),
}
_OPENING = frozenset("([{")
_CLOSING = frozenset(")]}")


class CellKind(enum.Enum):
    """What IPython makes of a code cell as a whole."""

    PYTHON = "python"
    PYTHON_CELL_MAGIC = "python-cell-magic"  # %%time, %%capture out, ...: the body is Python
    FOREIGN_CELL_MAGIC = "foreign-cell-magic"  # %%bash, %%writefile f, ...: not Python at all


class MaskedLineLost(ValueError):
    """The text given to ``IPythonCell.restore`` lost or repeated a masked line's placeholder."""


@dataclass(frozen=True)
class IPythonCell:
    """A code cell read the IPython way.

    ``python`` is ``source`` with every line of IPython syntax replaced by a placeholder (same line
    count, same line endings); ``magic`` names the cell magic (``%%name``) for the two cell-magic
    kinds (for nested ones, the magic that decided the kind).
    """

    source: str
    python: str
    kind: CellKind
    magic: str | None
    # placeholder line (without its line ending) -> the masked line it stands for
    placeholders: Mapping[str, str] = field(default_factory=dict)

    def restore(self, python: str) -> str:
        """``python`` (the masked text, perhaps rewritten) with every masked line put back.

        Raises :class:`MaskedLineLost` when a placeholder is missing or appears twice: the masked
        line could not be put back where it was.
        """
        restored: list[str] = []
        seen: set[str] = set()
        for number, line in enumerate(physical_lines(python), start=1):
            body, ending = _split_ending(line)
            original = self.placeholders.get(body)
            if original is None:
                restored.append(line)
                continue
            if body in seen:
                raise MaskedLineLost(f"line {number}: the IPython line {original!r} appears twice")
            seen.add(body)
            restored.append(original + ending)
        missing = [self.placeholders[p] for p in self.placeholders if p not in seen]
        if missing:
            raise MaskedLineLost(f"the IPython line {missing[0]!r} was lost")
        return "".join(restored)


def read_cell(source: str) -> IPythonCell:
    """Read one code cell's ``source`` the way IPython does (see the module docstring)."""
    lines = physical_lines(source)
    masker = _Masker(lines, _free_marker(source))
    start = 0
    kind, magic = CellKind.PYTHON, None
    while (first := _first_non_blank(lines, start)) is not None:
        name = _cell_magic(lines[first])
        if name is None:
            break
        if name not in PYTHON_CELL_MAGICS:
            masker.mask_all()
            return masker.cell(source, CellKind.FOREIGN_CELL_MAGIC, name)
        if kind is CellKind.PYTHON:
            kind, magic = CellKind.PYTHON_CELL_MAGIC, name
        masker.mask(first, first)
        start = first + 1  # IPython reads the body as a cell of its own: it may hold a cell magic
    masker.mask_special_lines(start)
    return masker.cell(source, kind, magic)


def physical_lines(text: str) -> list[str]:
    """``text`` split after each ``\\n``, ``\\r\\n`` or ``\\r`` (Python's line endings), kept."""
    return [m.group() for m in _LINE.finditer(text) if m.group()]


def _split_ending(line: str) -> tuple[str, str]:
    match = _ENDING.search(line)
    return (line, "") if match is None else (line[: match.start()], match.group())


def _free_marker(source: str) -> str:
    marker = _MARKER
    while marker in source:
        marker += "x"
    return marker


def _first_non_blank(lines: list[str], start: int) -> int | None:
    return next((i for i in range(start, len(lines)) if not lines[i].isspace()), None)


def _cell_magic(line: str) -> str | None:
    """The name of the cell magic ``line`` starts (IPython's ``cell_magic``), if it does."""
    text = line.lstrip(" \t")
    if not text.startswith("%%") or re.match(r"%%\w+\?", text):
        return None
    return text[2:].rstrip().partition(" ")[0]


def _escaped(line: str) -> bool:
    """The logical line starting on ``line`` begins with an escape character (IPython's
    ``EscapedCommand``): its first token is ``%``, ``!``, ``?``, ``,``, ``;`` or ``/``."""
    text = line.lstrip(" \t\f")
    return text[:1] in _ESCAPES and not text.startswith(_NOT_ESCAPES)


class _Token(NamedTuple):
    kind: str  # a group name of ``_TOKEN``, or "space" for a run of blanks
    text: str
    start: int  # offset in the cell's text


@dataclass(frozen=True)
class _LogicalLine:
    end: int  # offset just past its last character (its newline included)
    magic_at: int | None  # offset of the ``%``/``!`` of an assignment from a magic or the shell
    help_request: bool  # ends with ``?``/``??`` after a name: ``obj?``, ``x.y??``


class _Masker:
    def __init__(self, lines: list[str], marker: str) -> None:
        self.lines = lines
        self.masked = list(lines)
        self.marker = marker
        self.placeholders: dict[str, str] = {}
        self.text = "".join(lines)
        self.starts: list[int] = []
        offset = 0
        for line in lines:
            self.starts.append(offset)
            offset += len(line)

    def cell(self, source: str, kind: CellKind, magic: str | None) -> IPythonCell:
        return IPythonCell(source, "".join(self.masked), kind, magic, dict(self.placeholders))

    def mask(self, first: int, last: int, statement: bool = True) -> None:
        """Mask lines ``first``..``last``: a ``pass`` statement (unless not ``statement``), then
        comments."""
        for index in range(first, last + 1):
            body, ending = _split_ending(self.lines[index])
            tag = f"# {self.marker}-{len(self.placeholders)}"
            if index == first and statement:
                indent = body[: len(body) - len(body.lstrip(" \t\f"))]
                tag = f"{indent}pass  {tag}"
            self.placeholders[tag] = body
            self.masked[index] = tag + ending

    def mask_all(self) -> None:
        """Mask every non-blank line as a comment: the cell is not Python at all."""
        self.masked = list(self.lines)
        self.placeholders.clear()
        for index, line in enumerate(self.lines):
            if not line.isspace():
                self.mask(index, index, statement=False)

    def mask_special_lines(self, start: int) -> None:
        """Mask every line of IPython syntax from line ``start`` on (IPython's token transforms)."""
        index = start
        while index < len(self.lines):
            line = self.lines[index]
            stripped = line.lstrip(" \t\f")
            if _escaped(line):
                last = self._continued_to(index)
                self.mask(index, last)
                index = last + 1
            elif not stripped.strip() or stripped.startswith("#"):
                index += 1
            else:
                logical = self._logical_line(self.starts[index])
                last = self._line_of(logical.end - 1)
                if logical.magic_at is not None:
                    last = self._continued_to(self._line_of(logical.magic_at))
                    self.mask(index, last)
                elif logical.help_request:
                    self.mask(index, last)
                index = last + 1

    def _continued_to(self, index: int) -> int:
        """The last line of the backslash continuation starting at line ``index`` (as IPython's
        ``find_end_of_continued_line``: only ``\\`` then ``\\n`` continues)."""
        while index + 1 < len(self.lines) and self.lines[index].endswith("\\\n"):
            index += 1
        return index

    def _line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset) - 1

    def _logical_line(self, start: int) -> _LogicalLine:
        """Tokenise the logical line at ``start`` as Python, as far as IPython would."""
        depth = 0
        significant: list[_Token] = []
        assignment: int | None = None  # index in ``significant`` of the first ``=`` at depth 0
        assignment_read = False  # what follows that ``=`` is known not to be a magic
        commented = False  # a comment follows the last significant token
        end = len(self.text)
        for token in _tokens(self.text, start):
            if token.kind == "newline":
                if depth == 0:
                    end = token.start + len(token.text)
                    break
                continue
            if token.kind in ("space", "continuation"):
                continue
            commented = token.kind == "comment"
            if commented:
                continue
            significant.append(token)
            if token.text in _OPENING:
                depth += 1
            elif token.text in _CLOSING:
                depth = max(depth - 1, 0)
            elif token.text == "=" and depth == 0 and assignment is None:
                assignment = len(significant) - 1
            elif assignment is not None and not assignment_read:
                if significant[assignment + 1].text == "%" and len(significant) - assignment < 3:
                    continue  # ``= %``: a magic only if a name follows
                magic = self._assigned_magic(significant[assignment:])
                if magic is not None:
                    return _LogicalLine(end, magic, False)
                assignment_read = True
        help_request = (
            not commented
            and len(significant) >= 2
            and significant[-1].text == "?"
            and _HELP_END.search(self.text[significant[0].start : end]) is not None
        )
        return _LogicalLine(end, None, help_request)

    def _assigned_magic(self, tokens: list[_Token]) -> int | None:
        """``tokens`` start at the first ``=`` of the logical line: the offset of the magic it
        assigns from (IPython's ``MagicAssign``: ``= %name``; ``SystemAssign``: ``= !``), if any."""
        after = tokens[1]
        if after.text == "!":
            equals_line = self.lines[self._line_of(tokens[0].start)]
            return None if equals_line.strip().startswith("=") else after.start
        if after.text == "%" and _starts_a_name(tokens[2]):
            return after.start
        return None


def _starts_a_name(token: _Token) -> bool:
    return token.kind == "run" and token.text.lstrip(" \t\f")[:1].isidentifier()


def _tokens(text: str, start: int) -> Iterator[_Token]:
    """Tokens from ``start`` (see ``_TOKEN``); the quote of a string that does not end on its line
    is an ``other`` token, as ``tokenize`` makes it an error token."""
    position = start
    while position < len(text):
        match = _TOKEN.match(text, position)
        assert match is not None  # ``other`` matches any character
        kind, token, end = match.lastgroup or "other", match.group(), match.end()
        if kind == "string":
            rest = _STRING_REST[token].match(text, end)
            if rest is not None:
                end = rest.end()
            elif len(token) == 3:  # an unterminated triple-quoted string runs to the end
                end = len(text)
            else:
                kind = "other"
            token = text[position:end]
        elif kind == "run" and token.isspace():
            kind = "space"
        yield _Token(kind, token, position)
        position = end
