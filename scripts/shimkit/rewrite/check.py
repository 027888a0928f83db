"""``check_rewrite``: does a rewritten file still parse and bind the same things?"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Callable
from typing import TypeVar

from shimkit.domain.imports import resolve_relative

from .bowler_engine import FissixParseFailure, parse_fissix
from .libcst_engine import LibcstParseFailure, parse_libcst

T = TypeVar("T")


def _relative_problems(tree: ast.Module, importer: str | None, is_package: bool) -> list[str]:
    return [
        f"line {node.lineno}: relative import that does not resolve from "
        + (importer or "outside the import root")
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        and node.level
        and resolve_relative(importer, is_package, node.level, node.module) is None
    ]


def check_rewrite(
    old_text: str,
    new_text: str,
    importer: str | None,
    is_package: bool,
    uses: Callable[[ast.Module], Counter[T]],
) -> list[str]:
    """Human-readable problems with a rewrite (empty: fine).

    ``uses`` (the analysis layer's ``bound_uses``, closed over importer and resolver) maps the
    ``ast`` of a text to counts of what it uses; the rewrite must leave the counts unchanged.
    ``new_text`` must parse with ``ast`` and with fissix or LibCST, and its relative imports must
    resolve from ``importer``. When ``old_text`` does not
    parse with this Python's ``ast`` (newer syntax), only the parser checks are made.
    """
    problems: list[str] = []
    try:
        parse_fissix(new_text)
    except FissixParseFailure:
        try:
            parse_libcst(new_text)
        except LibcstParseFailure as failure:
            problems.append(f"neither fissix nor LibCST can parse the result: {failure}")
    try:
        ast.parse(old_text)
    except SyntaxError:
        return problems
    try:
        new_tree = ast.parse(new_text)
    except SyntaxError as error:
        return [*problems, f"the result does not parse: line {error.lineno}: {error.msg}"]
    problems += _relative_problems(new_tree, importer, is_package)
    before, after = uses(ast.parse(old_text)), uses(new_tree)
    for key in sorted(set(before) | set(after), key=repr):
        if before[key] != after[key]:
            problems.append(f"{key!r}: {before[key]} before the rewrite, {after[key]} after")
    return problems
