"""What a module binds at import time, and where each binding leads (static, per module)."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from shimkit.domain.model import Definition

from .astwalk import FunctionNode, Site, catches_import_error, is_type_checking, module_level
from .codebase import Codebase, SourceFile
from .modules import dotted, resolve_relative


@dataclass(frozen=True)
class ImportBinding:
    """``local`` bound by an import: ``from module import name`` (``name`` set) or
    ``import module`` (``name`` None; the local is bound to the module object)."""

    local: str
    module: str
    name: str | None
    line: int
    guarded: bool = False
    fallback: bool = False
    type_checking: bool = False


@dataclass(frozen=True)
class StarImport:
    module: str
    line: int
    guarded: bool = False
    type_checking: bool = False


# priority of a binding: lower wins; ties go to the later statement
_NORMAL, _FALLBACK, _TYPE_ONLY = 0, 1, 2


def _priority(site: Site) -> int:
    return _TYPE_ONLY if site.type_checking else _FALLBACK if site.fallback else _NORMAL


@dataclass
class Namespace:
    """The import-time bindings of one module."""

    module: str
    imports: list[ImportBinding] = field(default_factory=list)
    stars: list[StarImport] = field(default_factory=list)
    definitions: set[str] = field(default_factory=set)  # bound by def/class/assignment/...
    none_fallbacks: list[str] = field(default_factory=list)
    all_names: tuple[str, ...] | None = None
    warns: bool = False
    real: bool = False  # defines real things: a non-dunder def/class, a ``__main__`` guard
    pure: bool = True  # nothing but docstring, imports, __all__, None fallbacks, warnings
    primary: dict[str, ImportBinding | None] = field(default_factory=dict)  # None: defined here
    _rank: dict[str, int] = field(default_factory=dict)

    def bind(self, name: str, binding: ImportBinding | None, site: Site) -> None:
        p = _priority(site)
        if name not in self._rank or p <= self._rank[name]:
            self._rank[name] = p
            self.primary[name] = binding

    def runtime_names(self) -> list[str]:
        """Names bound when the module runs (not only under ``if TYPE_CHECKING:``)."""
        return [n for n in self.primary if self._rank[n] != _TYPE_ONLY]


def analyse_module(source: SourceFile) -> Namespace | None:
    if source.tree is None or source.module is None:
        return None
    ns = Namespace(source.module)
    warnings_aliases = {"warnings"}
    for stmt, site in module_level(source.tree):
        _statement(ns, source, stmt, site, warnings_aliases)
    return ns


def loaded_names(tree: ast.Module) -> frozenset[str]:
    """Names loaded anywhere in a module (a walk of the whole tree: only for candidate shims)."""
    return frozenset(
        n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
    )


def _statement(
    ns: Namespace, source: SourceFile, stmt: ast.stmt, site: Site, warnings_aliases: set[str]
) -> None:
    tree = source.tree
    assert tree is not None
    if isinstance(stmt, ast.ImportFrom):
        if stmt.module == "__future__":
            return
        target = resolve_relative(source.module, source.is_package, stmt.level, stmt.module)
        if target is None:
            return
        for alias in stmt.names:
            if alias.name == "*":
                ns.stars.append(StarImport(target, stmt.lineno, site.guarded, site.type_checking))
                continue
            local = alias.asname or alias.name
            b = ImportBinding(
                local,
                target,
                alias.name,
                stmt.lineno,
                site.guarded,
                site.fallback,
                site.type_checking,
            )
            ns.imports.append(b)
            ns.bind(local, b, site)
            if target == "warnings" and alias.name == "warn":
                warnings_aliases.add(local)
        return
    if isinstance(stmt, ast.Import):
        for alias in stmt.names:
            if alias.asname:
                b = ImportBinding(
                    alias.asname,
                    alias.name,
                    None,
                    stmt.lineno,
                    site.guarded,
                    site.fallback,
                    site.type_checking,
                )
            else:
                top = alias.name.split(".")[0]
                b = ImportBinding(
                    top, top, None, stmt.lineno, site.guarded, site.fallback, site.type_checking
                )
            ns.imports.append(b)
            ns.bind(b.local, b, site)
            if alias.name == "warnings":
                warnings_aliases.add(b.local)
        return
    if isinstance(stmt, FunctionNode | ast.ClassDef):
        ns.definitions.add(stmt.name)
        ns.bind(stmt.name, None, site)
        if not (stmt.name.startswith("__") and stmt.name.endswith("__")):
            ns.real = True
        ns.pure = False
        return
    if isinstance(stmt, ast.Assign | ast.AnnAssign | ast.AugAssign):
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        names = [n for t in targets for n in _target_names(t)]
        if names == ["__all__"] or (names and all(n == "__all__" for n in names)):
            values = _str_list(stmt.value)
            if values is not None:
                if isinstance(stmt, ast.AugAssign):
                    ns.all_names = (*(ns.all_names or ()), *values)
                else:
                    ns.all_names = values
            else:
                ns.pure = False
            return
        if isinstance(stmt, ast.AnnAssign) and stmt.value is None:
            return
        value = stmt.value
        if site.fallback and isinstance(value, ast.Constant) and value.value is None and names:
            ns.none_fallbacks.extend(n for n in names if n not in ns.none_fallbacks)
            return
        ns.pure = False
        for n in names:
            ns.definitions.add(n)
            ns.bind(n, None, site)
        return
    type_alias = getattr(ast, "TypeAlias", None)
    if type_alias is not None and isinstance(stmt, type_alias):
        name_node = getattr(stmt, "name", None)
        if isinstance(name_node, ast.Name):
            ns.definitions.add(name_node.id)
            ns.bind(name_node.id, None, site)
        ns.pure = False
        return
    if isinstance(stmt, ast.Expr):
        if isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str):
            return  # a docstring, or a legacy one written below ``from __future__``: inert
        call = stmt.value
        if isinstance(call, ast.Call):
            func = dotted(call.func)
            if func is not None and _is_warn(func, warnings_aliases):
                ns.warns = True
                return
            if (
                isinstance(call.func, ast.Attribute)
                and dotted(call.func.value) == "__all__"
                and call.func.attr in ("extend", "append")
                and call.args
            ):
                arg = call.args[0]
                values = (
                    (arg.value,)
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                    else _str_list(arg)
                )
                if values is not None:
                    ns.all_names = (*(ns.all_names or ()), *values)
                    return
        ns.pure = False
        return
    if isinstance(stmt, ast.Pass):
        return
    if isinstance(stmt, ast.If):
        if _is_main_guard(stmt.test):
            ns.real = True
        if not is_type_checking(stmt.test):
            ns.pure = False
        return  # the branches are visited as statements of their own
    if isinstance(stmt, ast.Try | ast.TryStar):
        if not catches_import_error(stmt.handlers):
            ns.pure = False
        return
    # anything else (for/while/with/match/global/delete/...) runs something; bind its targets
    ns.pure = False
    bound: list[ast.expr] = []
    if isinstance(stmt, ast.For | ast.AsyncFor):
        bound.append(stmt.target)
    elif isinstance(stmt, ast.With | ast.AsyncWith):
        bound.extend(i.optional_vars for i in stmt.items if i.optional_vars is not None)
    for t in bound:
        for n in _target_names(t):
            ns.definitions.add(n)
            ns.bind(n, None, site)


def _is_warn(func: str, aliases: set[str]) -> bool:
    if func in aliases:  # ``warn`` imported from warnings
        return True
    head, _, attr = func.rpartition(".")
    return attr == "warn" and head in aliases


def _is_main_guard(test: ast.expr) -> bool:
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and any(isinstance(c, ast.Constant) and c.value == "__main__" for c in test.comparators)
    )


def _target_names(target: ast.expr) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Tuple | ast.List):
        return [n for e in target.elts for n in _target_names(e)]
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    return []


def _str_list(node: ast.expr | None) -> tuple[str, ...] | None:
    if isinstance(node, ast.List | ast.Tuple | ast.Set) and all(
        isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts
    ):
        return tuple(
            e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)
        )
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _str_list(node.left), _str_list(node.right)
        if left is not None and right is not None:
            return (*left, *right)
    return None


# -- the index: namespaces of the whole tree, and tracing names through them -------------------


@dataclass(frozen=True)
class ModuleTarget:
    """A name that turned out to be a module (``from pkg import submodule``)."""

    module: str


Outcome = Definition | ModuleTarget | None


class ModuleIndex:
    """Namespaces of every module of a codebase, built lazily, and name tracing."""

    def __init__(self, codebase: Codebase) -> None:
        self.codebase = codebase
        self._namespaces: dict[str, Namespace | None] = {}
        self._traces: dict[tuple[str, str], tuple[tuple[str, ...], Outcome]] = {}

    def namespace(self, module: str) -> Namespace | None:
        if module not in self._namespaces:
            source = self.codebase.module(module)
            self._namespaces[module] = analyse_module(source) if source else None
        return self._namespaces[module]

    def public_names(self, module: str, _seen: frozenset[str] = frozenset()) -> tuple[str, ...]:
        """What ``from module import *`` binds (``__all__``, else public names); () if unknown."""
        ns = self.namespace(module)
        if ns is None or module in _seen:
            return ()
        if ns.all_names is not None:
            return tuple(dict.fromkeys(ns.all_names))
        names = [n for n in ns.runtime_names() if not n.startswith("_")]
        for star in ns.stars:
            names.extend(self.public_names(star.module, _seen | {module}))
        return tuple(dict.fromkeys(names))

    def exported_names(self, module: str) -> frozenset[str]:
        """Every name bound at module level, star imports expanded and None fallbacks included."""
        ns = self.namespace(module)
        if ns is None:
            return frozenset()
        names = set(ns.primary) | set(ns.none_fallbacks) | set(ns.all_names or ())
        for star in ns.stars:
            names.update(self.public_names(star.module, frozenset({module})))
        return frozenset(names)

    def trace(self, module: str, name: str) -> tuple[tuple[str, ...], Outcome]:
        """Follow ``module.name`` to its definition: ``(modules passed through, outcome)``."""
        key = (module, name)
        if key not in self._traces:
            self._traces[key] = self._trace(module, name)
        return self._traces[key]

    def _trace(self, module: str, name: str) -> tuple[tuple[str, ...], Outcome]:
        chain: list[str] = []
        seen: set[tuple[str, str]] = set()
        cur_m, cur_n = module, name
        while True:
            if not chain or chain[-1] != cur_m:
                chain.append(cur_m)
            if (cur_m, cur_n) in seen:
                return tuple(chain), None
            seen.add((cur_m, cur_n))
            ns = self.namespace(cur_m)
            sub = f"{cur_m}.{cur_n}"
            if ns is None:
                if self.codebase.in_tree(sub):
                    return tuple(chain), ModuleTarget(sub)
                return tuple(chain), None
            if cur_n in ns.primary:
                binding = ns.primary[cur_n]
                if binding is None:
                    return tuple(chain), Definition(cur_m, cur_n)
                if binding.name is None:
                    return tuple(chain), ModuleTarget(binding.module)
                target_sub = f"{binding.module}.{binding.name}"
                if self.codebase.in_tree(target_sub) and self._names_submodule(binding):
                    if chain[-1] != binding.module and binding.module != cur_m:
                        chain.append(binding.module)
                    return tuple(chain), ModuleTarget(target_sub)
                cur_m, cur_n = binding.module, binding.name
                continue
            for star in ns.stars:
                if cur_n in self.public_names(star.module):
                    cur_m = star.module
                    break
            else:
                if self.codebase.in_tree(sub):
                    return tuple(chain), ModuleTarget(sub)
                external = [s.module for s in ns.stars if not self.codebase.in_tree(s.module)]
                if external:
                    chain.append(external[0])
                return tuple(chain), None

    def _names_submodule(self, binding: ImportBinding) -> bool:
        """``from P import n`` gives the submodule ``P.n`` unless P's namespace binds ``n`` to
        something other than that very import."""
        assert binding.name is not None
        ns = self.namespace(binding.module)
        if ns is None or binding.name not in ns.primary:
            return True
        own = ns.primary[binding.name]
        return own is not None and own.module == binding.module and own.name == binding.name
