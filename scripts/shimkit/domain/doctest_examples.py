"""The code examples of a docstring (``>>>`` lines and their ``...`` continuations), read the
same way by the analysis (which finds references in them) and the rewrite (which rewrites them)."""

from __future__ import annotations

import ast
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

_PROMPT = re.compile(r"^([ \t]*)>>>( |$)")


@dataclass(frozen=True)
class ExampleLine:
    start: int  # offset of the line's code (after the prompt) in the text
    end: int  # offset of the line's end (before its line break)
    prompt: str  # what precedes the code: indentation and ``>>> `` or ``... ``


@dataclass(frozen=True)
class Example:
    """One example: its lines, and its code as doctest runs it (prompts stripped)."""

    first_line: int  # 0-based line of the text the example starts on
    lines: tuple[ExampleLine, ...]
    code: str


def examples(text: str) -> list[Example]:
    """Every ``>>>`` example of ``text``, in order."""
    found: list[Example] = []
    rows = text.splitlines(keepends=True)
    offsets = [0]
    for row in rows:
        offsets.append(offsets[-1] + len(row))
    index = 0
    while index < len(rows):
        match = _PROMPT.match(rows[index])
        if match is None:
            index += 1
            continue
        indent = match.group(1)
        first = index
        lines = [_line(rows[index], offsets[index], len(match.group(0)))]
        index += 1
        continuation = re.compile(rf"^{re.escape(indent)}\.\.\.( |$)")
        while index < len(rows) and (more := continuation.match(rows[index])) is not None:
            lines.append(_line(rows[index], offsets[index], len(more.group(0))))
            index += 1
        code = "\n".join(text[line.start : line.end] for line in lines) + "\n"
        found.append(Example(first, tuple(lines), code))
    return found


def _line(row: str, offset: int, prompt_length: int) -> ExampleLine:
    body = row.rstrip("\r\n")
    return ExampleLine(offset + prompt_length, offset + len(body), body[:prompt_length])


def docstrings_with_examples(tree: ast.Module) -> list[ast.Constant]:
    """The docstrings (of the module, its classes and functions) that hold a ``>>>`` example, in
    the order ``ast.walk`` meets them."""
    found = (example_docstring(node) for node in _statements_breadth_first(tree))
    return [docstring for docstring in found if docstring is not None]


def example_docstring(node: ast.AST) -> ast.Constant | None:
    """The docstring of ``node`` (a module, class or function) when it holds a ``>>>`` example."""
    if not isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
        return None
    first = node.body[0] if node.body else None
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
        and ">>>" in first.value.value
    ):
        return first.value
    return None


_BLOCKS = (ast.stmt, ast.excepthandler, ast.match_case)


def _statements_breadth_first(tree: ast.Module) -> Iterator[ast.AST]:
    """``ast.walk(tree)`` without the expressions: a ``def`` or ``class`` is a statement, and
    a statement sits only in a block of a statement, a handler or a case, so every one is met,
    at the same depth and in the same order, without visiting the expressions that make most of
    a tree (sympy: a third of the reference search)."""
    queue: deque[ast.AST] = deque([tree])
    while queue:
        node = queue.popleft()
        yield node
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, list):
                queue.extend(item for item in value if isinstance(item, _BLOCKS))


__all__ = ["Example", "ExampleLine", "docstrings_with_examples", "example_docstring", "examples"]
