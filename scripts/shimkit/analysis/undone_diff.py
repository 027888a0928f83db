"""The walk of a changed module's two trees that ``undone._repointed`` makes, on what differs only.

``_repointed`` pairs the nodes of the trees before and after in ``ast.walk`` order and asks that
each pair match (type, lines, own values) but for import statements repointed away from a shim.
A rewrite edits a few lines; every statement or expression whose lines are the same text at the
same place in both files parses to the same subtree, so walking it twice tells nothing: here the
two trees are walked side by side, field by field, and such a subtree is skipped (its
``from`` imports are only gathered, as the plain walk notes them). A pair that does not match
ends this walk with no answer, and the caller makes the plain walk: it alone says what such
trees give. A match gives what the plain walk gives: trees of the same shape are paired by the
plain walk node for node, and the statements found are put in its order.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import TypeAlias

# a node's path from the root: the index of each child in ``ast.iter_child_nodes`` order
Path: TypeAlias = tuple[int, ...]
_DECORATED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


@dataclass
class SideBySide:
    """What the walk found: the ``from`` imports that differ, with their paths (in the plain walk
    they are met in the order of their depth, then of their paths), and those that do not."""

    changed: list[tuple[Path, ast.ImportFrom, ast.ImportFrom]] = field(default_factory=list)
    unchanged: list[ast.ImportFrom] = field(default_factory=list)

    def in_walk_order(self) -> list[tuple[ast.ImportFrom, ast.ImportFrom]]:
        ordered = sorted(self.changed, key=lambda found: (len(found[0]), found[0]))
        return [(old, new) for _, old, new in ordered]


class _Differs(Exception):
    """The trees differ otherwise than the plain walk's pairing can pass: it must decide."""


def side_by_side(
    old_text: str,
    new_text: str,
    old: ast.Module,
    new: ast.Module,
) -> SideBySide | None:
    """The ``from`` imports of two trees of the same shape that match but for those; None when
    the texts cannot be compared line by line (other line counts, a lone ``\\r``, which the
    parser counts as a line break) or the trees differ otherwise."""
    old_lines, new_lines = _lines(old_text), _lines(new_text)
    if old_lines is None or new_lines is None or len(old_lines) != len(new_lines):
        return None
    walk = _Walk(old_lines, new_lines)
    try:
        walk.pair(old, new, ())
    except _Differs:
        return None
    return walk.found


def _lines(text: str) -> list[str] | None:
    if text.count("\r") != text.count("\r\n"):
        return None
    return text.split("\n")


class _Walk:
    def __init__(self, old_lines: list[str], new_lines: list[str]) -> None:
        self.differ = [a != b for a, b in zip(old_lines, new_lines, strict=True)]
        self.imports = ["import" in line for line in new_lines]
        self.found = SideBySide()

    def pair(self, a: ast.AST, b: ast.AST, path: Path, placed: bool = True) -> None:
        """``placed``: the nodes' positions can be trusted. Those of the parts of an f-string
        are not (on 3.11 the parser places some of them by the whole f-string): they are always
        compared, never skipped."""
        if type(a) is not type(b) or not same_lines(a, b):
            raise _Differs
        if placed and self._same_text(a, b):
            self._gather(b)
            return
        if isinstance(a, ast.ImportFrom) and isinstance(b, ast.ImportFrom):
            if (a.module, a.level) == (b.module, b.level):
                self.found.unchanged.append(b)
            else:
                self.found.changed.append((path, a, b))
        elif not same_fields(a, b):
            raise _Differs
        old_children, new_children = list(ast.iter_child_nodes(a)), list(ast.iter_child_nodes(b))
        if len(old_children) != len(new_children):
            raise _Differs
        placed = placed and not isinstance(a, ast.JoinedStr)
        for index, (x, y) in enumerate(zip(old_children, new_children, strict=True)):
            self.pair(x, y, (*path, index), placed)

    def _same_text(self, a: ast.AST, b: ast.AST) -> bool:
        """Whether the two nodes stand at the same place and every line they (and their
        decorators) span reads the same in both texts: then they are the same subtree."""
        span = _span(a)
        if span is None or span != _span(b):
            return False
        first, last = span[0], span[2]
        return not any(self.differ[first - 1 : last])

    def _gather(self, node: ast.AST) -> None:
        span = _span(node)
        assert span is not None
        if not any(self.imports[span[0] - 1 : span[2]]):
            return  # no line of it shows ``import``: it holds no import statement
        self.found.unchanged.extend(n for n in ast.walk(node) if isinstance(n, ast.ImportFrom))


def same_lines(a: ast.AST, b: ast.AST) -> bool:
    return all(
        getattr(a, attribute, None) == getattr(b, attribute, None)
        for attribute in ("lineno", "end_lineno")
    )


def same_fields(a: ast.AST, b: ast.AST) -> bool:
    """The node's own values (names, constants, operators' kinds) and its children's count; the
    children themselves are compared in their turn by the walk."""
    for name in a._fields:
        x, y = getattr(a, name, None), getattr(b, name, None)
        if isinstance(x, list) and isinstance(y, list):
            if len(x) != len(y):
                return False
        elif isinstance(x, ast.AST) or isinstance(y, ast.AST):
            if type(x) is not type(y):
                return False
        elif type(x) is not type(y) or x != y:
            return False
    return True


def _span(node: ast.AST) -> tuple[int, int, int, int] | None:
    """Where the node's text lies: (first line, column, last line, end column); the first line
    of a decorated definition is that of its first decorator."""
    lineno = getattr(node, "lineno", None)
    end_lineno = getattr(node, "end_lineno", None)
    if lineno is None or end_lineno is None:
        return None
    first = lineno
    if isinstance(node, _DECORATED) and node.decorator_list:
        first = min(lineno, *(d.lineno for d in node.decorator_list))
    return first, getattr(node, "col_offset", -1), end_lineno, getattr(node, "end_col_offset", -1)


__all__ = ["SideBySide", "same_fields", "same_lines", "side_by_side"]
