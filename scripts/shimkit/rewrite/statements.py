"""Read and write the text of one import statement.

Engines only say *where* an import statement is; its names, aliases, parentheses and comments are
read here from the statement's own text with the stdlib tokenizer, so both engines see the same
layout, and new statements are rendered from it.
"""

from __future__ import annotations

import io
import tokenize
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

_Offset = Callable[[tuple[int, int]], int]


@dataclass(frozen=True)
class Item:
    """``name [as alias]`` in a from-import, or ``dotted.module [as alias]`` in an import."""

    name: str
    alias: str | None
    start: int  # offsets of the whole item (name through alias)
    end: int
    name_end: int  # end of the name / dotted module part
    leading: tuple[str, ...] = ()  # comments on their own lines before the item (inside parens)
    trailing: str = ""  # whitespace + comment after the item (and its comma) on its line


class ImportKind(Enum):
    IMPORT = "import"  # ``import a.b [as x]``
    FROM = "from"  # ``from a import b [as x]``


@dataclass(frozen=True)
class ParsedImport:
    kind: ImportKind
    start: int
    end: int
    items: tuple[Item, ...]
    level: int = 0  # leading dots of a relative from-import
    module: str = ""  # from-import module, without the leading dots
    module_start: int = 0  # span of dots + module
    module_end: int = 0
    star: bool = False
    parenthesised: bool = False
    multiline: bool = False
    open_comment: str = ""  # whitespace + comment after "(" on its line
    item_indent: str = ""  # leading whitespace of the first item's line (multi-line only)
    close_indent: str | None = None  # leading whitespace of the ")" line, if ")" starts a line
    tail: tuple[str, ...] = ()  # own-line comments after the last item
    newline: str = "\n"

    @property
    def module_text(self) -> str:
        return "." * self.level + self.module


@dataclass(frozen=True)
class RenderItem:
    text: str
    leading: tuple[str, ...] = ()
    trailing: str = ""


_SKIP = {tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER}


def parse_import(text: str, start: int, end: int) -> ParsedImport:
    """Parse the import statement ``text[start:end]``."""
    snippet = text[start:end]
    line_starts = [0]
    for index, char in enumerate(snippet):
        if char == "\n":
            line_starts.append(index + 1)

    def offset(pos: tuple[int, int]) -> int:
        return start + line_starts[pos[0] - 1] + pos[1]

    tokens = [
        tok
        for tok in tokenize.generate_tokens(io.StringIO(snippet).readline)
        if tok.type not in _SKIP
    ]
    newline = "\r\n" if "\r\n" in snippet else "\n"
    if tokens[0].string == "from":
        return _parse_from(text, tokens, offset, start, end, newline)
    return _parse_import(tokens, offset, start, end, newline)


def _parse_import(
    tokens: list[tokenize.TokenInfo],
    offset: _Offset,
    start: int,
    end: int,
    newline: str,
) -> ParsedImport:
    items: list[Item] = []
    index = 1
    while index < len(tokens):
        first = tokens[index]
        parts = [first.string]
        index += 1
        while index < len(tokens) and tokens[index].string == ".":
            parts.append(tokens[index + 1].string)
            index += 2
        name_end = offset(tokens[index - 1].end)
        alias = None
        if index < len(tokens) and tokens[index].string == "as":
            alias = tokens[index + 1].string
            index += 2
        items.append(
            Item(
                ".".join(parts), alias, offset(first.start), offset(tokens[index - 1].end), name_end
            )
        )
        index += 1  # the comma
    return ParsedImport(ImportKind.IMPORT, start, end, tuple(items), newline=newline)


def _parse_from(
    text: str,
    tokens: list[tokenize.TokenInfo],
    offset: _Offset,
    start: int,
    end: int,
    newline: str,
) -> ParsedImport:
    module = _read_from_module(tokens, offset)
    body = tokens[module.body_index :]
    parenthesised = bool(body) and body[0].string == "("
    open_paren, close_paren = (body[0], body[-1]) if parenthesised else (tokens[0], tokens[0])
    if parenthesised:
        body = body[1:-1]
    multiline = parenthesised and open_paren.start[0] != close_paren.start[0]
    reader = _ItemReader(text, offset, open_paren if parenthesised else None, multiline)
    star = bool(body) and body[0].string == "*"
    if not star:
        reader.read(body)
    return ParsedImport(
        ImportKind.FROM,
        start,
        end,
        tuple(reader.items),
        module.level,
        module.name,
        module.start,
        module.end,
        star=star,
        parenthesised=parenthesised and not star,
        multiline=multiline and not star,
        open_comment=reader.open_comment,
        item_indent=reader.item_indent,
        close_indent=(
            _own_line_indent(text, offset(close_paren.start)) if multiline and not star else None
        ),
        tail=tuple(reader.pending),
        newline=newline,
    )


@dataclass(frozen=True)
class _FromModule:
    level: int  # leading dots
    name: str  # the dotted module after them
    start: int  # span of dots + module
    end: int
    body_index: int  # the first token after ``import``


def _read_from_module(tokens: list[tokenize.TokenInfo], offset: _Offset) -> _FromModule:
    index = 1
    level = 0
    parts: list[str] = []
    while tokens[index].string != "import":
        tok = tokens[index]
        if tok.type == tokenize.OP and set(tok.string) == {"."}:
            if not parts:  # leading dots; later dots separate the dotted name
                level += len(tok.string)
        elif tok.type == tokenize.NAME:
            parts.append(tok.string)
        index += 1
    module_start, module_end = offset(tokens[1].start), offset(tokens[index - 1].end)
    return _FromModule(level, ".".join(parts), module_start, module_end, index + 1)


def _own_line_indent(text: str, position: int) -> str | None:
    """The whitespace before ``position`` when nothing else precedes it on its line."""
    line_begin = text.rfind("\n", 0, position) + 1
    before = text[line_begin:position]
    return None if before.strip() else before


class _ItemReader:
    """The items of a from-import (the tokens between ``import`` and the end, without the
    parentheses), with the comments around them: after an item on its line (``trailing``), on
    lines of their own before one (``leading``) or after the last (``pending``, the tail), and
    after the opening parenthesis."""

    def __init__(
        self,
        text: str,
        offset: _Offset,
        open_paren: tokenize.TokenInfo | None,
        multiline: bool,
    ) -> None:
        self.text = text
        self.offset = offset
        self.open_paren = open_paren
        self.multiline = multiline
        self.items: list[Item] = []
        self.pending: list[str] = []
        self.open_comment = ""
        self.item_indent = ""
        self.last_end = offset(open_paren.end) if open_paren is not None else 0
        self.row_items: dict[int, int] = {}  # row -> index of the last item ending on it

    def read(self, body: list[tokenize.TokenInfo]) -> None:
        pos = 0
        while pos < len(body):
            tok = body[pos]
            if tok.type == tokenize.COMMENT:
                self.comment(tok)
                pos += 1
            elif tok.string == ",":
                self.last_end = self.offset(tok.end)
                pos += 1
            else:
                pos = self.item(body, pos)

    def comment(self, tok: tokenize.TokenInfo) -> None:
        if tok.start[0] in self.row_items:
            item_index = self.row_items[tok.start[0]]
            gap = self.text[self.last_end : self.offset(tok.start)]
            self.items[item_index] = _with(self.items[item_index], trailing=gap + tok.string)
        elif self.open_paren is not None and tok.start[0] == self.open_paren.start[0]:
            self.open_comment = self.text[self.offset(self.open_paren.end) : self.offset(tok.end)]
        else:
            self.pending.append(tok.string)

    def item(self, body: list[tokenize.TokenInfo], pos: int) -> int:
        """Read ``name [as alias]`` at ``pos``; the position after it."""
        name_tok = item_end_tok = body[pos]
        alias = None
        if pos + 1 < len(body) and body[pos + 1].string == "as":
            alias = body[pos + 2].string
            item_end_tok = body[pos + 2]
            pos += 3
        else:
            pos += 1
        item_start = self.offset(name_tok.start)
        if self.multiline and not self.items:
            self.item_indent = _own_line_indent(self.text, item_start) or ""
        item_end = self.offset(item_end_tok.end)
        leading = tuple(self.pending)
        self.items.append(
            Item(name_tok.string, alias, item_start, item_end, self.offset(name_tok.end), leading)
        )
        self.pending = []
        self.last_end = item_end
        self.row_items[item_end_tok.end[0]] = len(self.items) - 1
        return pos


def _with(item: Item, trailing: str) -> Item:
    return Item(item.name, item.alias, item.start, item.end, item.name_end, item.leading, trailing)


def render_from(
    module: str,
    items: list[RenderItem],
    layout: ParsedImport,
    indent: str,
    tail: tuple[str, ...] = (),
) -> str:
    """``from module import items`` in the layout of ``layout`` (the statement it replaces)."""
    if not layout.multiline:
        names = ", ".join(item.text for item in items)
        return (
            f"from {module} import ({names})"
            if layout.parenthesised
            else (f"from {module} import {names}")
        )
    nl = layout.newline
    item_indent = layout.item_indent or indent + "    "
    close_indent = indent if layout.close_indent is None else layout.close_indent
    lines = [f"from {module} import ({layout.open_comment}"]
    for item in items:
        lines.extend(item_indent + comment for comment in item.leading)
        lines.append(f"{item_indent}{item.text},{item.trailing}")
    lines.extend(item_indent + comment for comment in tail)
    lines.append(f"{close_indent})")
    return nl.join(lines)
