"""What a PEP 562 module ``__getattr__`` provides, read without running it.

Only branches a reader can follow by looking are read::

    def __getattr__(name):
        if name == "X":                 # or ``"X" == name``; ``elif`` chains; ifs in a row
            from .sub.mod import X      # or ``from pkg.mod import Y as X``, ``import pkg.mod as m``
            return X                    # or ``return m.X``, ``return getattr(m, "X")``,
        raise AttributeError(name)      # ``return importlib.import_module(".mod", __name__).X``

``if name in ("X", "Y"):`` works with ``return getattr(<module>, name)``. A branch may also warn,
or cache what it returns (``globals()[name] = X``). Anything else that may return something (a
lookup table, ``getattr(module, name)`` outside such a branch, a loop) computes the names it
provides: reading stops there, and ``LazyAttributes.computed`` holds its line.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass

from .astwalk import FunctionNode
from .modules import dotted, resolve_relative

_IMPORT_MODULE = frozenset({"importlib.import_module", "import_module"})


@dataclass(frozen=True)
class LazyName:
    """``name`` is ``module.original`` (``original`` None: the module ``module`` itself)."""

    name: str
    module: str
    original: str | None
    line: int


@dataclass(frozen=True)
class LazyAttributes:
    line: int  # of the ``def __getattr__``
    names: Mapping[str, LazyName]
    computed: int | None  # line of the first statement that may provide names it does not spell


# what a local of a branch is bound to: (module, name), name None for the module itself
_Local = tuple[str, str | None]


def read_getattr(function: FunctionNode, module: str, is_package: bool) -> LazyAttributes:
    reader = _Reader(module, is_package, _parameter(function))
    reader.block(function.body)
    return LazyAttributes(function.lineno, dict(reader.names), reader.computed)


def _parameter(function: FunctionNode) -> str | None:
    positional = [*function.args.posonlyargs, *function.args.args]
    return positional[0].arg if positional else None


class _Reader:
    def __init__(self, module: str, is_package: bool, parameter: str | None) -> None:
        self.module = module
        self.is_package = is_package
        self.parameter = parameter
        self.names: dict[str, LazyName] = {}
        self.computed: int | None = None

    def block(self, body: list[ast.stmt]) -> None:
        """Read statements in order until one computes what it returns."""
        for stmt in body:
            if self.computed is not None:
                return
            if isinstance(stmt, ast.Expr | ast.Pass | ast.Raise | ast.Global):
                continue  # docstrings, warnings, ``raise AttributeError``: provide nothing
            asked = self._asked(stmt.test) if isinstance(stmt, ast.If) else None
            if isinstance(stmt, ast.If) and asked is not None:
                self._branch(asked, stmt.body)
                self.block(stmt.orelse)
                continue
            self.computed = stmt.lineno

    def _asked(self, test: ast.expr) -> tuple[str, ...] | None:
        """The names an ``if`` tests the parameter against, if it is such a test."""
        if not isinstance(test, ast.Compare) or len(test.ops) != 1 or self.parameter is None:
            return None
        left, op, right = test.left, test.ops[0], test.comparators[0]
        if isinstance(op, ast.Eq):
            if self._is_parameter(right):
                left, right = right, left
            if self._is_parameter(left) and isinstance(right, ast.Constant):
                return (right.value,) if isinstance(right.value, str) else None
            return None
        if (
            isinstance(op, ast.In)
            and self._is_parameter(left)
            and isinstance(right, ast.Tuple | ast.List | ast.Set)
            and all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in right.elts)
        ):
            return tuple(
                e.value
                for e in right.elts
                if isinstance(e, ast.Constant) and isinstance(e.value, str)
            )
        return None

    def _is_parameter(self, node: ast.expr) -> bool:
        return isinstance(node, ast.Name) and node.id == self.parameter

    def _branch(self, asked: tuple[str, ...], body: list[ast.stmt]) -> None:
        local: dict[str, _Local] = {}
        for stmt in body:
            if isinstance(stmt, ast.ImportFrom):
                target = resolve_relative(self.module, self.is_package, stmt.level, stmt.module)
                if target is None or any(a.name == "*" for a in stmt.names):
                    self.computed = stmt.lineno
                    return
                local.update({a.asname or a.name: (target, a.name) for a in stmt.names})
            elif isinstance(stmt, ast.Import):
                for a in stmt.names:
                    top = a.name.split(".")[0]
                    local[a.asname or top] = (a.name if a.asname else top, None)
            elif isinstance(stmt, ast.Assign) and _caches(stmt):
                continue
            elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
                value = self._value(stmt.value, local, None)
                if not isinstance(stmt.targets[0], ast.Name) or value is None:
                    self.computed = stmt.lineno
                    return
                local[stmt.targets[0].id] = value
            elif isinstance(stmt, ast.Expr | ast.Pass | ast.Global):
                continue
            elif isinstance(stmt, ast.Raise):
                return  # this branch provides nothing
            elif isinstance(stmt, ast.Return):
                self._returned(asked, stmt, local)
                return
            else:
                self.computed = stmt.lineno
                return

    def _returned(self, asked: tuple[str, ...], stmt: ast.Return, local: dict[str, _Local]) -> None:
        found: list[LazyName] = []
        for name in asked:
            value = None if stmt.value is None else self._value(stmt.value, local, name)
            if value is None:
                self.computed = stmt.lineno
                return
            found.append(LazyName(name, value[0], value[1], stmt.lineno))
        for lazy in found:
            self.names.setdefault(lazy.name, lazy)

    def _value(self, node: ast.expr, local: dict[str, _Local], asked: str | None) -> _Local | None:
        """What ``node`` evaluates to, as (module, name) or (module, None); None if unknown."""
        if isinstance(node, ast.Name):
            return local.get(node.id)
        if isinstance(node, ast.Attribute):
            base = self._value(node.value, local, asked)
            if base is None:
                return None
            return (_as_module(base), node.attr)
        if not isinstance(node, ast.Call):
            return None
        func = dotted(node.func)
        if func in _IMPORT_MODULE:
            imported = self._import_module(node)
            return None if imported is None else (imported, None)
        if func == "getattr" and len(node.args) == 2 and not node.keywords:
            base = self._value(node.args[0], local, asked)
            attr = node.args[1]
            if base is None:
                return None
            if isinstance(attr, ast.Constant) and isinstance(attr.value, str):
                return (_as_module(base), attr.value)
            if self._is_parameter(attr) and asked is not None:
                return (_as_module(base), asked)
        return None

    def _import_module(self, call: ast.Call) -> str | None:
        """The module ``importlib.import_module("m")`` (or ``(".m", __name__)``) imports."""
        if not call.args or not isinstance(call.args[0], ast.Constant):
            return None
        name = call.args[0].value
        if not isinstance(name, str) or not name.lstrip("."):
            return None
        level = len(name) - len(name.lstrip("."))
        if not level:
            return name
        package = call.args[1] if len(call.args) > 1 else None
        package = next((k.value for k in call.keywords if k.arg == "package"), package)
        if isinstance(package, ast.Name) and package.id == "__name__":
            anchor, is_package = self.module, True
        elif isinstance(package, ast.Name) and package.id == "__package__":
            anchor, is_package = self.module, self.is_package
        elif isinstance(package, ast.Constant) and isinstance(package.value, str):
            anchor, is_package = package.value, True
        else:
            return None
        return resolve_relative(anchor, is_package, level, name.lstrip("."))


def _as_module(value: _Local) -> str:
    """A value whose attribute is taken is a module: ``m`` itself, or the submodule ``m.name``."""
    module, name = value
    return module if name is None else f"{module}.{name}"


def _caches(stmt: ast.Assign) -> bool:
    """``globals()[...] = value``: the branch caches what it returns."""
    return all(
        isinstance(t, ast.Subscript)
        and isinstance(t.value, ast.Call)
        and dotted(t.value.func) == "globals"
        for t in stmt.targets
    )
