"""What the imported names of a file refer to: the post-rewrite binding check.

Two versions of a file are equivalent when ``bound_uses`` gives equal Counters for both, resolved
against the same (pre-change) codebase.
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from shimkit.domain.model import Definition

from .astwalk import all_parameters, catches_import_error
from .modules import dotted, resolve_relative
from .scopes import foreign_positions

Resolver = Callable[[str, str], Definition | None]

_ATTRIBUTE_CALLS = frozenset({"object", "setattr", "getattr", "hasattr", "delattr"})


@dataclass(frozen=True)
class _Bound:
    module: str
    name: str | None  # None: the local is the module itself


@dataclass
class _Scope:
    kind: str  # "module" | "function" | "class"
    parent: _Scope | None
    imports: dict[str, _Bound] = field(default_factory=dict)
    _fallback_only: set[str] = field(default_factory=set)
    local: set[str] = field(default_factory=set)
    globals: set[str] = field(default_factory=set)

    def add_import(self, local: str, bound: _Bound, fallback: bool) -> None:
        # a binding in an ``except ImportError`` handler only counts if nothing else binds it
        if local in self.imports and fallback and local not in self._fallback_only:
            return
        self.imports[local] = bound
        if fallback:
            self._fallback_only.add(local)
        else:
            self._fallback_only.discard(local)


@dataclass(frozen=True)
class _Use:
    parts: tuple[str, ...]  # root name, then attributes
    scope: _Scope
    position: tuple[int, int]  # of the root name, as ``ast`` counts (line, column in bytes)


# what a use reaches through an import: (module, name or None for the module itself, attributes)
ImportUse = tuple[str, str | None, tuple[str, ...]]


def bound_uses(
    tree: ast.Module, importer: str | None, is_package: bool, resolve: Resolver
) -> Counter[Definition]:
    """Count, per Definition, the Name loads and ``alias.attr`` accesses of the file that reach
    it through the file's imports (any scope). Names not bound by an import, and names that do
    not resolve to a Definition (external packages), are ignored; so are string literals."""
    return resolve_uses(import_uses(tree, importer, is_package), resolve)


def import_uses(tree: ast.Module, importer: str | None, is_package: bool) -> Counter[ImportUse]:
    """The uses of the file's imported names, as the imports bind them (no resolver needed:
    this half of ``bound_uses`` can run where the codebase is not at hand)."""
    collector = _Collector(importer, is_package)
    collector.visit_scope(tree, collector.module_scope)
    # a name both imported and bound otherwise in one scope (``old = Wrapper(old)``, ``del
    # old``): which binding each use reaches is a question of order, left to the scope analysis
    rebound = {name for scope in collector.scopes for name in scope.imports.keys() & scope.local}
    foreign = foreign_positions(tree, rebound) if rebound else frozenset()
    counts: Counter[ImportUse] = Counter()
    for use in collector.uses:
        if use.position in foreign:
            continue
        bound = _lookup(use.scope, use.parts[0])
        if bound is not None:
            counts[(bound.module, bound.name, use.parts[1:])] += 1
    return counts


def resolve_uses(uses: Counter[ImportUse], resolve: Resolver) -> Counter[Definition]:
    """The other half of ``bound_uses``: what each counted use refers to."""
    counts: Counter[Definition] = Counter()
    for (module, name, attrs), count in uses.items():
        d = _resolve_use(_Bound(module, name), attrs, resolve)
        if d is not None:
            counts[d] += count
    return counts


def _lookup(scope: _Scope, name: str) -> _Bound | None:
    s: _Scope | None = scope
    if name in scope.globals:
        s = scope
        while s is not None and s.parent is not None:
            s = s.parent
    first = True
    while s is not None:
        if first or s.kind != "class":
            if name in s.imports:
                return s.imports[name]
            if name in s.local:
                return None
        first = False
        s = s.parent
    return None


def _resolve_use(bound: _Bound, attrs: tuple[str, ...], resolve: Resolver) -> Definition | None:
    if bound.name is not None:
        d = resolve(bound.module, bound.name)
        if d is not None:
            return d
        current = f"{bound.module}.{bound.name}"  # perhaps a submodule
    else:
        current = bound.module
    for attr in attrs:
        d = resolve(current, attr)
        if d is not None:
            return d
        current = f"{current}.{attr}"
    return None


class _Collector:
    def __init__(self, importer: str | None, is_package: bool) -> None:
        self.importer = importer
        self.is_package = is_package
        self.module_scope = _Scope("module", None)
        self.scopes = [self.module_scope]
        self.uses: list[_Use] = []

    def scope(self, kind: str, parent: _Scope) -> _Scope:
        inner = _Scope(kind, parent)
        self.scopes.append(inner)
        return inner

    # -- scopes -------------------------------------------------------------------------------

    def visit_scope(self, node: ast.AST, scope: _Scope) -> None:
        for child in _body_of(node):
            self.visit(child, scope, fallback=False)

    def visit(self, node: ast.AST, scope: _Scope, fallback: bool) -> None:
        kind = _NODE_KINDS.get(type(node))
        if kind is None or not kind(self, node, scope, fallback):
            self._visit_other(node, scope, fallback)

    def _definition(
        self,
        node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef,
        scope: _Scope,
        fallback: bool,
    ) -> bool:
        scope.local.add(node.name)
        for d in node.decorator_list:
            self.visit(d, scope, fallback)
        if isinstance(node, ast.ClassDef):
            for e in (*node.bases, *node.keywords):
                self.visit(e, scope, fallback)
            inner = self.scope("class", scope)
        else:
            self._visit_arguments_outer(node.args, scope, fallback)
            if node.returns is not None:
                self.visit(node.returns, scope, fallback)
            inner = self.scope("function", scope)
            _bind_arguments(node.args, inner)
        for stmt in node.body:
            self.visit(stmt, inner, fallback=False)
        return True

    def _lambda(self, node: ast.Lambda, scope: _Scope, fallback: bool) -> bool:
        self._visit_arguments_outer(node.args, scope, fallback)
        inner = self.scope("function", scope)
        _bind_arguments(node.args, inner)
        self.visit(node.body, inner, fallback=False)
        return True

    def _comprehension(
        self,
        node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp,
        scope: _Scope,
        fallback: bool,
    ) -> bool:
        inner = self.scope("function", scope)
        for gen in node.generators:
            for n in _store_names(gen.target):
                inner.local.add(n)
        for child in ast.iter_child_nodes(node):
            self.visit(child, inner, fallback)
        return True

    def _import(self, node: ast.Import, scope: _Scope, fallback: bool) -> bool:
        for a in node.names:
            if a.asname:
                scope.add_import(a.asname, _Bound(a.name, None), fallback)
            else:
                top = a.name.split(".")[0]
                scope.add_import(top, _Bound(top, None), fallback)
        return True

    def _import_from(self, node: ast.ImportFrom, scope: _Scope, fallback: bool) -> bool:
        target = resolve_relative(self.importer, self.is_package, node.level, node.module)
        for a in node.names:
            if a.name == "*" or target is None:
                continue
            scope.add_import(a.asname or a.name, _Bound(target, a.name), fallback)
        return True

    def _global(self, node: ast.Global, scope: _Scope, fallback: bool) -> bool:
        scope.globals.update(node.names)
        return True

    def _nonlocal(self, node: ast.Nonlocal, scope: _Scope, fallback: bool) -> bool:
        return True

    def _try(self, node: ast.Try | ast.TryStar, scope: _Scope, fallback: bool) -> bool:
        """A ``try`` that catches ImportError: what its handlers import is a fallback."""
        if not catches_import_error(node.handlers):
            return False
        for s in (*node.body, *node.orelse, *node.finalbody):
            self.visit(s, scope, fallback)
        for h in node.handlers:
            if h.type is not None:
                self.visit(h.type, scope, fallback)
            if h.name:
                scope.local.add(h.name)
            for s in h.body:
                self.visit(s, scope, fallback=True)
        return True

    def _visit_other(self, node: ast.AST, scope: _Scope, fallback: bool) -> None:
        """Names and attribute chains (the uses), the names other nodes bind, and the children."""
        if isinstance(node, ast.ExceptHandler) and node.name:
            scope.local.add(node.name)
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load):
                self.uses.append(_Use((node.id,), scope, (node.lineno, node.col_offset)))
            else:
                scope.local.add(node.id)
            return
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
            chain = dotted(node)
            if chain is not None:
                self.uses.append(_Use(tuple(chain.split(".")), scope, _root_position(node)))
                return
        if isinstance(node, ast.Call):
            self._attribute_call(node, scope)
        if isinstance(node, ast.MatchAs | ast.MatchStar) and node.name:
            scope.local.add(node.name)
        if isinstance(node, ast.MatchMapping) and node.rest:
            scope.local.add(node.rest)
        for child in ast.iter_child_nodes(node):
            self.visit(child, scope, fallback)

    def _visit_arguments_outer(self, args: ast.arguments, scope: _Scope, fallback: bool) -> None:
        for default in (*args.defaults, *(d for d in args.kw_defaults if d is not None)):
            self.visit(default, scope, fallback)
        for a in all_parameters(args):
            if a.annotation is not None:
                self.visit(a.annotation, scope, fallback)

    def _attribute_call(self, node: ast.Call, scope: _Scope) -> None:
        func = dotted(node.func)
        if func is None or func.rpartition(".")[2] not in _ATTRIBUTE_CALLS or len(node.args) < 2:
            return
        obj, name = node.args[0], node.args[1]
        base = dotted(obj)
        if base is not None and isinstance(name, ast.Constant) and isinstance(name.value, str):
            self.uses.append(_Use((*base.split("."), name.value), scope, _root_position(obj)))


_NodeKind = Callable[[_Collector, Any, _Scope, bool], bool]
# the nodes that open a scope or bind by import; True: handled (a ``try`` only if it catches
# ImportError); every other node is a use, binds a name, or holds some (``_visit_other``)
_NODE_KINDS: dict[type[ast.AST], _NodeKind] = {
    ast.FunctionDef: _Collector._definition,
    ast.AsyncFunctionDef: _Collector._definition,
    ast.ClassDef: _Collector._definition,
    ast.Lambda: _Collector._lambda,
    ast.ListComp: _Collector._comprehension,
    ast.SetComp: _Collector._comprehension,
    ast.GeneratorExp: _Collector._comprehension,
    ast.DictComp: _Collector._comprehension,
    ast.Import: _Collector._import,
    ast.ImportFrom: _Collector._import_from,
    ast.Global: _Collector._global,
    ast.Nonlocal: _Collector._nonlocal,
    ast.Try: _Collector._try,
    ast.TryStar: _Collector._try,
}


def _root_position(node: ast.expr) -> tuple[int, int]:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.lineno, node.col_offset


def _body_of(node: ast.AST) -> Iterator[ast.AST]:
    if isinstance(node, ast.Module):
        yield from node.body
    else:
        yield from ast.iter_child_nodes(node)


def _bind_arguments(args: ast.arguments, scope: _Scope) -> None:
    scope.local.update(a.arg for a in all_parameters(args))


def _store_names(target: ast.expr) -> list[str]:
    return [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]
