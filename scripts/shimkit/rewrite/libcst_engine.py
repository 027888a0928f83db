"""The fallback engine: LibCST, for files fissix cannot parse (match, ``except*``, PEP 695, ...).

A metadata-aware LibCST visitor reduces the module to the same :class:`Facts` the Bowler engine
collects (same chains, strings, imports and ``try`` blocks, with the same offsets); the shared
planner turns them into edits and the edits are spliced into the original text. The output is
therefore byte-identical to what the Bowler engine gives on any file both can parse (the test suite
holds the two engines to that on the same fixtures).
"""

from __future__ import annotations

import keyword
from collections.abc import Callable, Sequence

import libcst as cst
from libcst.metadata import ByteSpanPositionProvider, MetadataWrapper, ParentNodeProvider

from .facts import (
    Chain,
    Edit,
    FactCollector,
    Facts,
    ImportStatement,
    StringToken,
    TryImport,
    apply_edits,
)

Planner = Callable[[Facts], list[Edit]]

_KEYWORDS = frozenset(keyword.kwlist)


class LibcstParseFailure(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


def parse_libcst(text: str) -> cst.Module:
    try:
        return cst.parse_module(text)
    except cst.ParserSyntaxError as error:
        raise LibcstParseFailure(error.raw_line, f"libcst cannot parse: {error.message}") from error
    except Exception as error:  # CSTValidationError and friends
        raise LibcstParseFailure(1, f"libcst cannot parse: {error}") from error


class _Collector(FactCollector, cst.CSTVisitor):
    METADATA_DEPENDENCIES = (ByteSpanPositionProvider, ParentNodeProvider)

    def __init__(self, text: str) -> None:
        FactCollector.__init__(self)
        cst.CSTVisitor.__init__(self)
        self.text = text
        encoded = text.encode("utf-8")
        if len(encoded) == len(text):
            self.char_at: list[int] | None = None
        else:  # byte offset -> str offset
            self.char_at = [0] * (len(encoded) + 1)
            byte = 0
            for index, char in enumerate(text):
                for _ in range(len(char.encode("utf-8"))):
                    self.char_at[byte] = index
                    byte += 1
            self.char_at[byte] = len(text)

    def span(self, node: cst.CSTNode) -> tuple[int, int]:
        span = self.get_metadata(ByteSpanPositionProvider, node)
        start, end = span.start, span.start + span.length
        if self.char_at is None:
            return start, end
        return self.char_at[start], self.char_at[end]

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        return self.get_metadata(ParentNodeProvider, node, None)

    def visit_Import(self, node: cst.Import) -> bool:
        self.imports.append(ImportStatement(*self.span(node)))
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        self.imports.append(ImportStatement(*self.span(node)))
        return False

    def visit_FormattedString(self, node: cst.FormattedString) -> bool:
        self._string(node)
        return False  # fissix sees an f-string as one opaque token

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        self._string(node)

    def _string(self, node: cst.BaseString) -> None:
        concatenated = isinstance(self.parent(node), cst.ConcatenatedString)
        self.strings.append(StringToken(*self.span(node), concatenated))

    def visit_Name(self, node: cst.Name) -> None:
        if node.value in _KEYWORDS:
            return
        parent = self.parent(node)
        if isinstance(parent, cst.Attribute) and parent.attr is node:
            return
        if isinstance(parent, cst.Arg) and parent.keyword is node:
            return
        start, end = self.span(node)
        parts, ends = [node.value], [end]
        current: cst.CSTNode = node
        while not _parenthesised(current):
            parent = self.parent(current)
            if not (isinstance(parent, cst.Attribute) and parent.value is current):
                break
            parts.append(parent.attr.value)
            ends.append(self.span(parent.attr)[1])
            current = parent
        self.chains.append(Chain(tuple(parts), start, tuple(ends)))

    def visit_Try(self, node: cst.Try) -> None:
        if len(node.handlers) != 1 or node.orelse is not None or node.finalbody is not None:
            return
        handler = node.handlers[0]
        if handler.type is None:
            return
        body = self._import_starts(node.body)
        handled = self._import_starts(handler.body)
        if body is None or handled is None:
            return
        type_start, type_end = self.span(handler.type)
        handler_type = "".join(self.text[type_start:type_end].split())
        self.tries.append(TryImport(self.span(node)[0], body, handler_type, handled))

    def _import_starts(self, suite: cst.BaseSuite) -> tuple[int, ...] | None:
        smalls: list[cst.BaseSmallStatement] = []
        if isinstance(suite, cst.SimpleStatementSuite):
            smalls.extend(suite.body)
        else:
            lines: Sequence[cst.BaseStatement] = suite.body  # type: ignore[assignment]
            for line in lines:
                if not isinstance(line, cst.SimpleStatementLine):
                    return None
                smalls.extend(line.body)
        if not all(isinstance(small, cst.Import | cst.ImportFrom) for small in smalls):
            return None
        return tuple(self.span(small)[0] for small in smalls)


def _parenthesised(node: cst.CSTNode) -> bool:
    return bool(getattr(node, "lpar", ()))


def collect_libcst(text: str) -> Facts:
    """The facts of ``text`` as LibCST sees them; raise :class:`LibcstParseFailure`."""
    wrapper = MetadataWrapper(parse_libcst(text), unsafe_skip_copy=True)
    collector = _Collector(text)
    wrapper.visit(collector)
    return collector.facts()


def rewrite_with_libcst(text: str, planner: Planner) -> str:
    return apply_edits(text, planner(collect_libcst(text)))
