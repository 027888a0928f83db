"""What a module binds at import time, and where each binding leads (static, per module)."""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from shimkit.domain.model import VIA_IMPORT, VIA_LAZY, VIA_STAR, Definition, Resolution

from .astwalk import FunctionNode, Site, catches_import_error, is_type_checking, module_level
from .codebase import Codebase, SourceFile
from .installed import InstalledModules
from .lazy import LazyAttributes, read_getattr
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
    logic: bool = False  # runs code besides re-exports (a ``__getattr__`` read whole is none)
    lazy: LazyAttributes | None = None  # what a PEP 562 ``__getattr__`` provides
    primary: dict[str, ImportBinding | None] = field(default_factory=dict)  # None: defined here
    _rank: dict[str, int] = field(default_factory=dict)

    def bind(self, name: str, binding: ImportBinding | None, site: Site) -> None:
        p = _priority(site)
        if name not in self._rank or p <= self._rank[name]:
            self._rank[name] = p
            self.primary[name] = binding

    def runs_code(self) -> None:
        self.pure = False
        self.logic = True

    def runtime_names(self) -> list[str]:
        """Names bound when the module runs (not only under ``if TYPE_CHECKING:``)."""
        return [n for n in self.primary if self._rank[n] != _TYPE_ONLY]


def analyse_module(source: SourceFile) -> Namespace | None:
    if source.tree is None or source.module is None:
        return None
    reading = _Reading(Namespace(source.module), source)
    for stmt, site in module_level(source.tree):
        _STATEMENT_KINDS.get(type(stmt), _runs_something)(reading, stmt, site)
    return reading.ns


def loaded_names(tree: ast.Module) -> frozenset[str]:
    """Names loaded anywhere in a module (a walk of the whole tree: only for candidate shims)."""
    return frozenset(
        n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
    )


@dataclass
class _Reading:
    """One module being read, statement by statement (see ``_STATEMENT_KINDS``)."""

    ns: Namespace
    source: SourceFile
    warnings_aliases: set[str] = field(default_factory=lambda: {"warnings"})

    def import_binding(
        self, local: str, module: str, name: str | None, stmt: ast.stmt, site: Site
    ) -> ImportBinding:
        binding = ImportBinding(
            local, module, name, stmt.lineno, site.guarded, site.fallback, site.type_checking
        )
        self.ns.imports.append(binding)
        self.ns.bind(local, binding, site)
        return binding

    def define(self, names: list[str], site: Site) -> None:
        for name in names:
            self.ns.definitions.add(name)
            self.ns.bind(name, None, site)


def _import_from(reading: _Reading, stmt: ast.ImportFrom, site: Site) -> None:
    if stmt.module == "__future__":
        return
    source = reading.source
    target = resolve_relative(source.module, source.is_package, stmt.level, stmt.module)
    if target is None:
        return
    for alias in stmt.names:
        if alias.name == "*":
            reading.ns.stars.append(
                StarImport(target, stmt.lineno, site.guarded, site.type_checking)
            )
            continue
        local = alias.asname or alias.name
        reading.import_binding(local, target, alias.name, stmt, site)
        if target == "warnings" and alias.name == "warn":
            reading.warnings_aliases.add(local)


def _import(reading: _Reading, stmt: ast.Import, site: Site) -> None:
    for alias in stmt.names:
        if alias.asname:
            binding = reading.import_binding(alias.asname, alias.name, None, stmt, site)
        else:
            top = alias.name.split(".")[0]
            binding = reading.import_binding(top, top, None, stmt, site)
        if alias.name == "warnings":
            reading.warnings_aliases.add(binding.local)


def _definition(reading: _Reading, stmt: FunctionNode | ast.ClassDef, site: Site) -> None:
    """A def or class: a real module (unless it only defines dunders), never a pure re-export;
    logic, but for a PEP 562 ``__getattr__`` that only imports what it is asked for."""
    ns = reading.ns
    reading.define([stmt.name], site)
    if not (stmt.name.startswith("__") and stmt.name.endswith("__")):
        ns.real = True
    ns.pure = False
    if isinstance(stmt, FunctionNode) and stmt.name == "__getattr__":
        ns.lazy = read_getattr(stmt, ns.module, reading.source.is_package)
        ns.logic = ns.logic or ns.lazy.computed is not None
    else:
        ns.logic = True


def _assignment(
    reading: _Reading, stmt: ast.Assign | ast.AnnAssign | ast.AugAssign, site: Site
) -> None:
    ns = reading.ns
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
    names = [n for t in targets for n in _target_names(t)]
    if names == ["__all__"] or (names and all(n == "__all__" for n in names)):
        values = _str_list(stmt.value)
        if values is None:
            ns.runs_code()
        elif isinstance(stmt, ast.AugAssign):
            ns.all_names = (*(ns.all_names or ()), *values)
        else:
            ns.all_names = values
        return
    if isinstance(stmt, ast.AnnAssign) and stmt.value is None:
        return
    value = stmt.value
    if site.fallback and isinstance(value, ast.Constant) and value.value is None and names:
        ns.none_fallbacks.extend(n for n in names if n not in ns.none_fallbacks)
        return
    ns.runs_code()
    reading.define(names, site)


def _type_alias(reading: _Reading, stmt: ast.stmt, site: Site) -> None:
    name_node = getattr(stmt, "name", None)
    if isinstance(name_node, ast.Name):
        reading.define([name_node.id], site)
    reading.ns.runs_code()


def _expression(reading: _Reading, stmt: ast.Expr, site: Site) -> None:
    ns = reading.ns
    if isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str):
        return  # a docstring, or a legacy one written below ``from __future__``: inert
    call = stmt.value
    if isinstance(call, ast.Call):
        func = dotted(call.func)
        if func is not None and _is_warn(func, reading.warnings_aliases):
            ns.warns = True
            return
        values = _all_extended(call)
        if values is not None:
            ns.all_names = (*(ns.all_names or ()), *values)
            return
    ns.runs_code()


def _all_extended(call: ast.Call) -> tuple[str, ...] | None:
    """The names ``__all__.extend([...])`` / ``__all__.append("...")`` adds, if it is one."""
    if not (
        isinstance(call.func, ast.Attribute)
        and dotted(call.func.value) == "__all__"
        and call.func.attr in ("extend", "append")
        and call.args
    ):
        return None
    arg = call.args[0]
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return (arg.value,)
    return _str_list(arg)


def _inert(reading: _Reading, stmt: ast.stmt, site: Site) -> None:
    pass


def _if(reading: _Reading, stmt: ast.If, site: Site) -> None:
    if _is_main_guard(stmt.test):
        reading.ns.real = True
    if not is_type_checking(stmt.test):
        reading.ns.runs_code()
    # the branches are visited as statements of their own


def _try(reading: _Reading, stmt: ast.Try | ast.TryStar, site: Site) -> None:
    if not catches_import_error(stmt.handlers):
        reading.ns.runs_code()


def _runs_something(reading: _Reading, stmt: ast.stmt, site: Site) -> None:
    """Anything else (for/while/with/match/global/delete/...) runs code; a loop or ``with``
    binds its targets."""
    reading.ns.runs_code()
    bound: list[ast.expr] = []
    if isinstance(stmt, ast.For | ast.AsyncFor):
        bound.append(stmt.target)
    elif isinstance(stmt, ast.With | ast.AsyncWith):
        bound.extend(i.optional_vars for i in stmt.items if i.optional_vars is not None)
    reading.define([n for t in bound for n in _target_names(t)], site)


_StatementKind = Callable[[_Reading, Any, Site], None]
# what each kind of module-level statement tells of the module; anything else runs something
_STATEMENT_KINDS: dict[type[ast.stmt], _StatementKind] = {
    ast.ImportFrom: _import_from,
    ast.Import: _import,
    ast.FunctionDef: _definition,
    ast.AsyncFunctionDef: _definition,
    ast.ClassDef: _definition,
    ast.Assign: _assignment,
    ast.AnnAssign: _assignment,
    ast.AugAssign: _assignment,
    ast.Expr: _expression,
    ast.Pass: _inert,
    ast.If: _if,
    ast.Try: _try,
    ast.TryStar: _try,
}
if hasattr(ast, "TypeAlias"):  # Python 3.12: ``type X = ...``
    _STATEMENT_KINDS[ast.TypeAlias] = _type_alias


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


@dataclass(frozen=True)
class Trace:
    """Where ``module.name`` leads: the modules passed through and what is found at the end."""

    chain: tuple[str, ...]  # the module asked about first
    outcome: Outcome
    via: tuple[str, ...]  # how each module of the chain but the last passes the name on
    names: tuple[str, ...]  # what the name is called in each module of the chain
    unresolved: str = ""  # why the outcome is not a Definition

    def resolution(self, shim: str, name: str) -> Resolution:
        definition = self.outcome if isinstance(self.outcome, Definition) else None
        unresolved = self.unresolved
        if isinstance(self.outcome, ModuleTarget):
            unresolved = f"it is the module {self.outcome.module}, not a name defined in one"
        return Resolution(shim, name, self.chain, definition, self.via, unresolved, self.names)


class ModuleIndex:
    """Namespaces of every module of a codebase, built lazily, and name tracing."""

    def __init__(self, codebase: Codebase) -> None:
        self.codebase = codebase
        self._namespaces: dict[str, Namespace | None] = {}
        self._traces: dict[tuple[str, str], Trace] = {}
        tops = frozenset(m.split(".", 1)[0] for m in codebase.modules)
        self.installed = InstalledModules(codebase.root, tops)

    def namespace(self, module: str) -> Namespace | None:
        """What ``module`` binds: a module of the tree, else one installed outside it (read
        statically, see ``installed``); None when neither can be read."""
        if module not in self._namespaces:
            source = self.codebase.module(module)
            if source is None and not self.codebase.in_tree(module):
                source = self.installed.source(module)
            self._namespaces[module] = analyse_module(source) if source else None
        return self._namespaces[module]

    def exists(self, module: str) -> bool:
        """A module of the tree, or one this interpreter could import from outside it."""
        return self.codebase.in_tree(module) or self.installed.exists(module)

    def public_names(
        self, module: str, _seen: frozenset[str] = frozenset(), *, passed_on: bool = False
    ) -> tuple[str, ...]:
        """What ``from module import *`` binds (``__all__``, else public names); () if unknown.

        ``passed_on``: without the module objects a module without ``__all__`` imports from
        outside the tree for its own use (``import warnings``): what a layer passes on."""
        ns = self.namespace(module)
        if ns is None or module in _seen:
            return ()
        if ns.all_names is not None:
            return tuple(dict.fromkeys(ns.all_names))
        names = [
            n
            for n in ns.runtime_names()
            if not n.startswith("_")
            and not (passed_on and self._own_tool(ns.primary[n]))
            and not (passed_on and self.bound_module(module, n) in _seen)
        ]
        for star in ns.stars:
            names.extend(self.public_names(star.module, _seen | {module}, passed_on=passed_on))
        return tuple(dict.fromkeys(names))

    def bound_module(self, module: str, name: str) -> str | None:
        """The module ``name`` is bound to by a plain ``import M`` in ``module``, if it is.

        Passing such a name on through a layer that is ``M`` itself (a moved module importing
        its old path) passes on nothing: retiring the layer rewrites that import."""
        ns = self.namespace(module)
        binding = ns.primary.get(name) if ns is not None else None
        if binding is None or binding.name is not None or binding.local != binding.module:
            return None
        return binding.module

    def _own_tool(self, binding: ImportBinding | None) -> bool:
        """``import x`` of a module outside the tree: a tool, never something re-exported."""
        return (
            binding is not None
            and binding.name is None
            and not self.codebase.in_tree(binding.module)
        )

    def exported_names(self, module: str) -> frozenset[str]:
        """Every name bound at module level, star imports expanded, None fallbacks and names a
        PEP 562 ``__getattr__`` provides included."""
        ns = self.namespace(module)
        if ns is None:
            return frozenset()
        names = set(ns.primary) | set(ns.none_fallbacks) | set(ns.all_names or ())
        if ns.lazy is not None:
            names.update(ns.lazy.names)
        for star in ns.stars:
            names.update(self.public_names(star.module, frozenset({module})))
        return frozenset(names)

    def string_names(self, module: str) -> frozenset[str]:
        """The names a string ``"module.name"`` can mean: every exported name but the modules
        ``module`` imports from outside the tree for its own use (``import yaml``), so that
        ``"hpo.yaml"`` stays a file name."""
        ns = self.namespace(module)
        own_tools = {n for n, b in (ns.primary.items() if ns else ()) if self._own_tool(b)}
        return self.exported_names(module) - own_tools

    def trace(self, module: str, name: str) -> Trace:
        """Follow ``module.name`` to its definition, through imports, star imports (by the
        source's ``__all__`` or public names) and PEP 562 ``__getattr__`` branches."""
        key = (module, name)
        if key not in self._traces:
            self._traces[key] = self._trace(module, name)
        return self._traces[key]

    def resolution(self, module: str, name: str) -> Resolution:
        """Where ``module.name`` leads, for moving it: a submodule of the tree that a layer
        passes on (``from pkg import submodule``) is defined, for its importers, as the name
        ``submodule`` of ``pkg`` (``from pkg import submodule`` is where they go)."""
        trace = self.trace(module, name)
        if isinstance(trace.outcome, ModuleTarget):
            outcome = self._submodule_as_name(trace.outcome)
            if isinstance(outcome, Definition):
                trace = replace(trace, outcome=outcome)
        return trace.resolution(module, name)

    def _trace(self, module: str, name: str) -> Trace:
        chain: list[str] = []
        via: list[str] = []
        names: list[str] = []
        seen: list[tuple[str, str]] = []  # in the order followed
        cur_m, cur_n, how = module, name, ""

        def enter(next_module: str, next_name: str, passed: str) -> None:
            if chain and chain[-1] == next_module:
                names[-1] = next_name
                return
            if chain:
                via.append(passed)
            chain.append(next_module)
            names.append(next_name)

        def done(outcome: Outcome, unresolved: str = "") -> Trace:
            return Trace(tuple(chain), outcome, tuple(via), tuple(names), unresolved)

        while True:
            enter(cur_m, cur_n, how)
            if (cur_m, cur_n) in seen:
                # ``from P import n`` that leads back to itself still gives the submodule
                # ``P.n`` when there is one: Python imports it when P does not bind ``n`` yet
                # (``P/__init__.py`` taking ``n`` from a layer that takes it from ``P``)
                submodule = next(
                    (f"{m}.{n}" for m, n in seen if self.codebase.in_tree(f"{m}.{n}")), None
                )
                if submodule is not None:
                    return done(ModuleTarget(submodule))
                return done(None, f"{cur_m}.{cur_n} leads back to itself (an import cycle)")
            seen.append((cur_m, cur_n))
            if not self.codebase.in_tree(cur_m):
                # importers may be sent to an installed module's public surface; where it
                # defines the name inside its own package is its business
                outcome, why = self._outside(cur_m, cur_n)
                return done(outcome, why)
            ns = self.namespace(cur_m)
            sub = f"{cur_m}.{cur_n}"
            if ns is None:
                if self.codebase.in_tree(sub):
                    return done(ModuleTarget(sub))
                return done(None, self._missing(cur_m, cur_n))
            if cur_n in ns.primary:
                binding = ns.primary[cur_n]
                if binding is None:
                    return done(Definition(cur_m, cur_n))
                if binding.name is None:
                    return done(ModuleTarget(binding.module))
                target_sub = f"{binding.module}.{binding.name}"
                if self.codebase.in_tree(target_sub) and self._names_submodule(binding):
                    if binding.module != cur_m:
                        enter(binding.module, binding.name, VIA_IMPORT)
                    return done(ModuleTarget(target_sub))
                cur_m, cur_n, how = binding.module, binding.name, VIA_IMPORT
                continue
            star_source = next(
                (s.module for s in ns.stars if cur_n in self.public_names(s.module)), None
            )
            if star_source is not None:
                cur_m, how = star_source, VIA_STAR
                continue
            lazy = ns.lazy.names.get(cur_n) if ns.lazy is not None else None
            if lazy is not None:
                if lazy.original is None:
                    enter(lazy.module, cur_n, VIA_LAZY)
                    return done(ModuleTarget(lazy.module))
                cur_m, cur_n, how = lazy.module, lazy.original, VIA_LAZY
                continue
            if self.codebase.in_tree(sub):
                return done(ModuleTarget(sub))
            external = [s.module for s in ns.stars if not self.codebase.in_tree(s.module)]
            if external:
                enter(external[0], cur_n, VIA_STAR)
                missing = "" if self.installed.exists(external[0]) else ", not installed"
                why = f"it may come from {external[0]}, outside the analysed tree{missing}"
                return done(None, why)
            return done(None, self._unbound(ns, cur_n))

    def _submodule_as_name(self, target: ModuleTarget) -> Outcome:
        """A submodule ``P.n`` of the tree reached as a name is the name ``n`` of its package
        ``P`` (what ``from P import n`` binds): a retired layer passing it on sends its
        importers there. A module outside the tree stays a module."""
        package, _, leaf = target.module.rpartition(".")
        if package and self.codebase.in_tree(target.module):
            return Definition(package, leaf)
        return target
    def _outside(self, module: str, name: str) -> tuple[Outcome, str]:
        """``module.name`` for a module outside the tree: the module itself is where the name
        is found when it binds it (read statically), else why not."""
        where = f"it comes from {module}, outside the analysed tree"
        if not self.installed.exists(module):
            return None, f"{where}, not installed"
        if name in self.exported_names(module):
            return Definition(module, name), ""
        if self.installed.exists(f"{module}.{name}"):
            return ModuleTarget(f"{module}.{name}"), ""
        if self.namespace(module) is None:
            return None, f"{where}, installed without Python source to read"
        return None, f"{module} (installed, outside the analysed tree) does not bind it"

    def _missing(self, module: str, name: str) -> str:
        """Why ``module.name`` cannot be followed when ``module`` has no namespace."""
        source = self.codebase.module(module)
        if source is not None:
            return f"{module} does not parse"
        if self.codebase.in_tree(module):
            return f"the namespace package {module} has no {name}"
        return f"it comes from {module}, outside the analysed tree"

    @staticmethod
    def _unbound(ns: Namespace, name: str) -> str:
        """Why a module the chain reached does not bind ``name``."""
        lazy = ns.lazy
        if lazy is not None and lazy.computed is not None:
            return (
                f"{ns.module}.__getattr__ computes it (line {lazy.computed}); only "
                'branches like `if name == "X": from M import X; return X` are read'
            )
        listed = name in (ns.all_names or ())
        where = f"its __getattr__ (line {lazy.line}) has no branch for it" if lazy else ""
        if listed:
            return f"{ns.module} lists it in __all__ but never binds it" + (
                f": {where}" if where else ""
            )
        return f"{ns.module} does not bind it" + (f": {where}" if where else "")

    def _names_submodule(self, binding: ImportBinding) -> bool:
        """``from P import n`` gives the submodule ``P.n`` unless P's namespace binds ``n`` to
        something other than that very import."""
        assert binding.name is not None
        ns = self.namespace(binding.module)
        if ns is None or binding.name not in ns.primary:
            return True
        own = ns.primary[binding.name]
        return own is not None and own.module == binding.module and own.name == binding.name
