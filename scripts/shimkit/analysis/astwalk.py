"""Walking a tree while tracking the syntactic surroundings that matter to imports."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from .modules import dotted

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef

_IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError"})
_WARNS_CALLS = frozenset(
    {
        "pytest.warns",
        "warns",
        "pytest.deprecated_call",
        "deprecated_call",
        "warnings.catch_warnings",
        "catch_warnings",
    }
)


@dataclass(frozen=True)
class Site:
    """Where a node sits."""

    function_local: bool = False  # inside a def / lambda body
    type_checking: bool = False  # inside ``if TYPE_CHECKING:``
    guarded: bool = False  # inside a ``try`` (body or handler) that catches ImportError
    fallback: bool = False  # inside an ``except ImportError`` handler
    test_function: FunctionNode | None = None  # outermost enclosing ``def test*``
    test_class: str | None = None  # the ``class Test*`` holding it (pytest's node id part)
    warns_block: bool = False  # inside ``with pytest.warns(...)`` / ``deprecated_call()`` / ...


def is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def catches_import_error(handlers: list[ast.ExceptHandler]) -> bool:
    for h in handlers:
        types = h.type.elts if isinstance(h.type, ast.Tuple) else [h.type]
        for t in types:
            if t is None:
                continue
            name = (
                t.id if isinstance(t, ast.Name) else t.attr if isinstance(t, ast.Attribute) else ""
            )
            if name in _IMPORT_ERRORS:
                return True
    return False


def _is_warns_with(node: ast.With | ast.AsyncWith) -> bool:
    for item in node.items:
        expr = item.context_expr
        if isinstance(expr, ast.Call) and dotted(expr.func) in _WARNS_CALLS:
            return True
    return False


def all_parameters(args: ast.arguments) -> list[ast.arg]:
    """Every parameter of a ``def`` or ``lambda``: positional-only, plain, keyword-only,
    ``*args`` and ``**kwargs``."""
    out = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    if args.vararg is not None:
        out.append(args.vararg)
    if args.kwarg is not None:
        out.append(args.kwarg)
    return out


def line_span(node: ast.AST) -> tuple[int, int] | None:
    """The lines ``node`` covers in its source, None when it has no position. A decorated
    ``def`` or ``class`` starts at its first decorator: ``ast`` puts its ``lineno`` on the
    ``def``/``class`` line, below the decorators that belong to it."""
    first = getattr(node, "lineno", None)
    last = getattr(node, "end_lineno", None)
    if first is None or last is None:
        return None
    decorators = getattr(node, "decorator_list", None) or ()
    return min([first, *(d.lineno for d in decorators)]), last


def walk(
    node: ast.AST, site: Site | None = None, enter: Callable[[ast.AST], bool] | None = None
) -> Iterator[tuple[ast.AST, Site]]:
    """Every node under ``node`` (itself included), depth first in source order, with its
    ``Site``; f-strings are not entered, nor the children for which ``enter`` (if given, a test of
    the node alone) says False."""
    # an explicit stack, not nested generators: a node deep in the tree would otherwise pass
    # through one generator per level (sympy: 7.5 million resumptions for 1 million nodes)
    stack = [(node, site or Site())]
    while stack:
        node, site = stack.pop()
        yield node, site
        if isinstance(node, ast.JoinedStr):
            continue
        if isinstance(node, _SITED):
            below = [(c, s) for c, s in children(node, site) if enter is None or enter(c)]
        else:  # most nodes: their children sit where they do
            below = [(c, site) for c in child_nodes(node) if enter is None or enter(c)]
        below.reverse()
        stack.extend(below)


# the nodes whose children may sit elsewhere than they do (see ``children``)
_SITED = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.Lambda,
    ast.If,
    ast.Try,
    ast.TryStar,
    ast.With,
    ast.AsyncWith,
)


def child_nodes(node: ast.AST) -> list[ast.AST]:
    """``ast.iter_child_nodes(node)`` as a list, without its two generators per node."""
    out: list[ast.AST] = []
    for name in node._fields:
        value = getattr(node, name, None)
        if isinstance(value, ast.AST):
            out.append(value)
        elif isinstance(value, list):
            out.extend(item for item in value if isinstance(item, ast.AST))
    return out


def children(node: ast.AST, site: Site) -> Iterator[tuple[ast.AST, Site]]:
    """Direct children of ``node`` with the ``Site`` each one sits in."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        test_fn = site.test_function
        if test_fn is None and node.name.startswith("test"):
            test_fn = node
        inner = replace(site, function_local=True, test_function=test_fn)
        outer = replace(site, test_function=test_fn)
        for d in node.decorator_list:
            yield d, outer
        yield node.args, inner
        if node.returns is not None:
            yield node.returns, site
        for s in node.body:
            yield s, inner
        return
    if isinstance(node, ast.ClassDef) and site.test_function is None and site.test_class is None:
        inner = replace(site, test_class=node.name) if node.name.startswith("Test") else site
        body = {id(statement) for statement in node.body}
        for child in child_nodes(node):
            yield child, inner if id(child) in body else site
        return
    if isinstance(node, ast.Lambda):
        inner = replace(site, function_local=True)
        yield node.args, inner
        yield node.body, inner
        return
    if isinstance(node, ast.If) and is_type_checking(node.test):
        yield node.test, site
        for s in node.body:
            yield s, replace(site, type_checking=True)
        for s in node.orelse:
            yield s, site
        return
    if isinstance(node, ast.Try | ast.TryStar) and catches_import_error(node.handlers):
        for s in node.body:
            yield s, replace(site, guarded=True)
        for h in node.handlers:
            yield h, replace(site, guarded=True, fallback=True)
        for s in (*node.orelse, *node.finalbody):
            yield s, site
        return
    if isinstance(node, ast.With | ast.AsyncWith) and _is_warns_with(node):
        for item in node.items:
            yield item, site
        for s in node.body:
            yield s, replace(site, warns_block=True)
        return
    for child in child_nodes(node):
        yield child, site


def module_level(tree: ast.Module) -> Iterator[tuple[ast.stmt, Site]]:
    """Statements executed at import time: module body, recursing into compound statements but
    not into def/class bodies."""
    yield from _stmts(tree.body, Site())


def _stmts(body: list[ast.stmt], site: Site) -> Iterator[tuple[ast.stmt, Site]]:
    for stmt in body:
        yield stmt, site
        if isinstance(stmt, FunctionNode | ast.ClassDef):
            continue
        for child, child_site in children(stmt, site):
            if isinstance(child, ast.stmt):
                yield from _stmts([child], child_site)
            elif isinstance(child, ast.ExceptHandler | ast.match_case):
                yield from _stmts(child.body, child_site)
