"""The change seen from the import check's child: which changed modules differ from the tree
before only by ``from SHIM import names`` statements repointed to the module the shim takes those
very names from, and what each retired shim's body does. With it the child of a module that fails
after the change can prove, while it runs, that with the change undone the import would have run
the same code in the same order and failed the same way (``verify/smoke_child.py``,
``_Undone``), so that the module need not be imported again before the change.

Only what can be read for certain is described: a shim whose body is anything but a docstring,
imports, ``__all__`` and a ``warnings.warn`` of constants, or a changed module that differs in
anything but the module path of such statements (a line moved, an attribute chain rewritten, an
``import a.shim as s`` form), is left out, and a failure that reached it is imported again.

Nor can the child see code find the shim by its name: ``'pkg.shim' in sys.modules`` is true only
before the change. So the project code that could (one that reads ``sys.modules`` as a whole, or
``sys`` other than by attribute, or holds a string with a shim's own name in it or a dotted path
to ``sys``; ``sys`` is any name bound to it by an import from any module, and the attribute
``sys`` of anything, as ``os.sys``: every module that imported sys holds it; a key built
otherwise comes from one of those, a folder listing, which the child watches, or the shim's
module object, looked up by its package, which it guards) withholds the proof from any import
that ran it. Where that code is: in the body of a function (``seeking``: the ``def`` statements,
by line and column; the child marks their code and knows whether it ran), or anywhere else (in
the module body, a class body, a lambda, a comprehension, a default or a decorator: ``seekers``,
the module counts as run once loaded)."""

from __future__ import annotations

import ast
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from shimkit.analysis.astwalk import child_nodes
from shimkit.analysis.codebase import Codebase, SourceFile
from shimkit.analysis.undone_diff import SideBySide, same_fields, same_lines, side_by_side
from shimkit.domain import shortcuts
from shimkit.domain.imports import as_read, resolve_relative

__all__ = ["Repointed", "ShimBody", "UndoneSide", "undone_side"]


@dataclass(frozen=True)
class ShimBody:
    """What importing a retired shim did: the modules its body imported, in order (a dotted
    ``import a.b`` imports ``a`` then ``a.b``), the names it took from them, and whether it
    warned."""

    module: str
    imports: tuple[str, ...]
    takes: dict[str, tuple[str, str]]  # name it binds -> (module, attribute)
    warns: bool


@dataclass(frozen=True)
class Repointed:
    """``from shim import names`` in the tree before, ``from module import names`` after."""

    module: str
    names: tuple[str, ...]
    shim: str


@dataclass(frozen=True)
class UndoneSide:
    shims: dict[str, ShimBody] = field(default_factory=dict)
    # changed module -> its repointed statements (none: it did not change as Python code)
    statements: dict[str, tuple[Repointed, ...]] = field(default_factory=dict)
    # modules whose code could find a shim by its name, which the child cannot watch, outside
    # the body of a function (loaded: it ran) ...
    seekers: frozenset[str] = frozenset()
    # ... or only inside those of the functions defined at these (line, column)s (it ran if one
    # of them was called)
    seeking: dict[str, tuple[tuple[int, int], ...]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "shims": {
                name: {
                    "imports": list(body.imports),
                    "takes": {n: list(source) for n, source in body.takes.items()},
                    "warns": body.warns,
                }
                for name, body in self.shims.items()
            },
            "statements": {
                module: [[r.module, list(r.names), r.shim] for r in repointed]
                for module, repointed in self.statements.items()
            },
            "seekers": sorted(self.seekers),
            "seeking": {module: [list(at) for at in defs] for module, defs in self.seeking.items()},
        }


def undone_side(
    before: Codebase, after: Codebase, changed: Collection[str], retired: Collection[str]
) -> UndoneSide:
    """The retired shims whose bodies can be read for certain, and the changed modules that differ
    from the tree ``before`` only by statements repointed away from them."""
    shims = {}
    for shim in retired:
        body = _shim_body(before, shim)
        if body is not None:
            shims[shim] = body
    statements = {}
    for module in changed:
        if module in retired:
            continue
        repointed = _repointed(before, after, module, shims)
        if repointed is not None:
            statements[module] = repointed
    if not statements:
        return UndoneSide(shims, statements)
    names = {r.shim.rpartition(".")[2] for repointed in statements.values() for r in repointed}
    seekers: set[str] = set()
    seeking: dict[str, tuple[tuple[int, int], ...]] = {}
    for module in after.modules:
        source = after.module(module)
        found = _seeking_code(source, names) if source is not None else None
        if isinstance(found, str):
            seekers.add(module)
        elif found:
            seeking[module] = tuple(sorted((d.lineno, d.col_offset) for d in found))
    return UndoneSide(shims, statements, frozenset(seekers), seeking)


_Def: TypeAlias = ast.FunctionDef | ast.AsyncFunctionDef
# (module, names) of a ``from`` import, its module made absolute
_Imported: TypeAlias = tuple[str | None, tuple[str, ...]]
# a dotted path (``a.b``, ``a:b``) that ends at ``sys`` or goes on to its modules or namespace
_SYS_BY_NAME = re.compile(r"(?:^|[.:])sys(?:$|[.:](?:modules|__dict__)\b)")
_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)
WHOLE = "the module"  # seeking code outside the body of any function


def _seeking_code(source: SourceFile, names: Collection[str]) -> set[_Def] | str | None:
    """Where the module's code could find a shim by its name (it holds a string with a shim's own
    name in it, or reads ``sys.modules`` but by a key: a key naming a shim needs such a string,
    or one of the ways the docstring of this module lists; or ``sys``'s namespace): the innermost
    functions whose bodies hold it, ``WHOLE`` when any of it is outside every function's body,
    None when there is none."""
    text = as_read(source.text)  # a full-width ``s`` in ``sys`` is ``sys`` to Python
    if "sys" not in text and not any(name in text for name in names):
        return None
    if source.tree is None:
        return WHOLE  # it cannot run: imported, it fails; but what it would do cannot be read
    parents = _parents(source.tree)
    sys_names = {"sys"}
    for node in parents:
        if isinstance(node, ast.Import | ast.ImportFrom):
            sys_names.update(_bound_to_sys(node))
    found: set[_Def] = set()
    for node in parents:
        if _seeks(node, names, sys_names, parents):
            scope = _function_body_of(node, parents)
            if scope is None:
                return WHOLE
            found.add(scope)
    return found or None


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    """Every node under ``tree`` (not itself), with the node it is a child of: one pass over the
    tree, without ``ast.walk``'s generators (which would list each node's children twice)."""
    parents: dict[ast.AST, ast.AST] = {}
    stack = [tree]
    while stack:
        node = stack.pop()
        below = child_nodes(node)
        for child in below:
            parents[child] = node
        stack.extend(below)
    return parents


def _seeks(
    node: ast.AST,
    names: Collection[str],
    sys_names: Collection[str],
    parents: dict[ast.AST, ast.AST],
) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        # the name of a layer, or sys by name (``importlib.import_module("sys")``,
        # ``mock.patch.dict("sys.modules")``, ``pkgutil.resolve_name("os:sys")``)
        return bool(_SYS_BY_NAME.search(node.value)) or any(name in node.value for name in names)
    if isinstance(node, ast.ImportFrom) and node.module == "sys" and not node.level:
        return any(alias.name in ("modules", "*") for alias in node.names)
    return _is_sys(node, sys_names) and _reads_sys_whole(node, parents)


def _bound_to_sys(node: ast.Import | ast.ImportFrom) -> Iterator[str]:
    """The names an import statement binds that may hold ``sys``: ``import sys as s``, and
    ``from m import sys as s`` from any module ``m`` (``os`` and ``importlib`` hold it, and so may
    a project module)."""
    for alias in node.names:
        if alias.name == "sys" and (alias.asname or isinstance(node, ast.ImportFrom)):
            yield alias.asname or "sys"


def _is_sys(node: ast.AST, sys_names: Collection[str]) -> bool:
    """Whether ``node`` may be the ``sys`` module: a name bound to it, or the attribute ``sys`` of
    anything (``os.sys``, ``importlib.sys``: a module that imported sys holds it so)."""
    if isinstance(node, ast.Name):
        return node.id in sys_names
    return isinstance(node, ast.Attribute) and node.attr == "sys"


def _function_body_of(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> _Def | None:
    """The innermost function whose body ``node`` is in: code that runs only when that function
    is called. A default, a decorator or an annotation runs where the ``def`` statement does; a
    lambda, a comprehension and a class body are counted as the code around them (which runs
    whenever they do: counting them is never less cautious). So is a function's docstring: its
    ``__doc__``, there to be read as soon as the ``def`` statement ran."""
    inner = node
    outer = parents.get(node)
    while outer is not None:
        if (
            isinstance(outer, _DEFS)
            and any(statement is inner for statement in outer.body)
            and not (inner is outer.body[0] and _is_docstring(inner))
        ):
            return outer
        inner, outer = outer, parents.get(outer)
    return None


def _reads_sys_whole(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    """``sys`` used other than as ``sys.attr``, or ``sys.modules`` used other than by one key
    (``sys.modules[k]``, ``sys.modules.get(k)``, ``k in sys.modules``)."""
    parent = parents.get(node)
    if not isinstance(parent, ast.Attribute):
        return not isinstance(parent, (ast.Import, ast.alias))  # vars(sys), getattr(sys, ...)
    if parent.attr == "__dict__":
        return True
    if parent.attr != "modules":
        return False
    holder = parents.get(parent)
    if isinstance(holder, ast.Subscript) and holder.value is parent:
        return False
    if isinstance(holder, ast.Compare) and parent in holder.comparators:
        return not all(isinstance(op, (ast.In, ast.NotIn)) for op in holder.ops)
    if isinstance(holder, ast.Attribute) and holder.attr in ("get", "pop", "setdefault"):
        call = parents.get(holder)
        return not (isinstance(call, ast.Call) and call.func is holder)
    return True


def _importer(codebase: Codebase, module: str) -> tuple[str, bool]:
    source = codebase.module(module)
    return module, source is not None and source.is_package


def _absolute(node: ast.ImportFrom, importer: tuple[str, bool]) -> str | None:
    return resolve_relative(importer[0], importer[1], node.level, node.module)


def _prefixes(module: str) -> Iterator[str]:
    parts = module.split(".")
    for depth in range(1, len(parts) + 1):
        yield ".".join(parts[:depth])


def _shim_body(codebase: Codebase, shim: str) -> ShimBody | None:
    source = codebase.module(shim)
    if source is None or source.tree is None:
        return None
    package = _importer(codebase, shim)
    imports: list[str] = []
    takes: dict[str, tuple[str, str]] = {}
    bound: set[str] = set()
    warns = False
    for index, statement in enumerate(source.tree.body):
        if isinstance(statement, ast.Import):
            for alias in statement.names:
                imports.extend(p for p in _prefixes(alias.name) if p not in imports)
                bound.add(alias.asname or alias.name.partition(".")[0])
        elif isinstance(statement, ast.ImportFrom):
            module = _absolute(statement, package)
            if module is None or any(alias.name == "*" for alias in statement.names):
                return None
            if module == "__future__":
                continue
            imports.extend(p for p in _prefixes(module) if p not in imports)
            for alias in statement.names:
                takes[alias.asname or alias.name] = (module, alias.name)
                bound.add(alias.asname or alias.name)
        elif _is_all(statement) or (index == 0 and _is_docstring(statement)):
            continue
        elif _is_constant_warning(statement, bound):
            warns = True
        else:
            return None
    return ShimBody(shim, tuple(imports), takes, warns)


def _is_docstring(statement: ast.AST) -> bool:
    return isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)


def _is_all(statement: ast.stmt) -> bool:
    if not isinstance(statement, ast.Assign) or len(statement.targets) != 1:
        return False
    target, value = statement.targets[0], statement.value
    return (
        isinstance(target, ast.Name)
        and target.id == "__all__"
        and isinstance(value, (ast.List, ast.Tuple))
        and all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in value.elts)
    )


_CATEGORIES = frozenset({"DeprecationWarning", "PendingDeprecationWarning", "FutureWarning"})


def _is_constant_warning(statement: ast.stmt, bound: set[str]) -> bool:
    """``warnings.warn(...)`` of a constant message, a builtin category and constant keywords,
    ``warnings`` bound by ``import warnings``: a call that runs nothing of the project's."""
    if not isinstance(statement, ast.Expr) or not isinstance(statement.value, ast.Call):
        return False
    call = statement.value
    func = call.func
    if not (
        isinstance(func, ast.Attribute)
        and func.attr == "warn"
        and isinstance(func.value, ast.Name)
        and func.value.id == "warnings"
        and "warnings" in bound
    ):
        return False
    values = [*call.args, *(k.value for k in call.keywords)]
    if any(k.arg is None for k in call.keywords):
        return False
    return all(
        isinstance(v, ast.Constant)
        or (isinstance(v, ast.Name) and v.id in _CATEGORIES and v.id not in bound)
        for v in values
    )


def _repointed(
    before: Codebase, after: Codebase, module: str, shims: dict[str, ShimBody]
) -> tuple[Repointed, ...] | None:
    """The statements of ``module`` repointed away from a described shim, when that is all that
    differs between its two trees, line numbers included; None otherwise."""
    old, new = before.module(module), after.module(module)
    if old is None or new is None or old.tree is None or new.tree is None:
        return None
    if old.is_package != new.is_package:
        return None
    package = _importer(after, module)
    if shortcuts.enabled():
        walked = side_by_side(old.text, new.text, old.tree, new.tree)
        if walked is not None:
            return _repointed_found(walked, package, shims)
    return _repointed_walked(old.tree, new.tree, package, shims)


def _repointed_found(
    walked: SideBySide, package: tuple[str, bool], shims: dict[str, ShimBody]
) -> tuple[Repointed, ...] | None:
    """What :func:`_repointed_walked` gives for trees :func:`side_by_side` could pair."""
    unchanged = {_imported(statement, package) for statement in walked.unchanged}
    repointed: list[Repointed] = []
    for a, b in walked.in_walk_order():
        statement = _repointed_statement(a, b, package, shims)
        if statement is None:
            return None
        repointed.append(statement)
    return _unless_imported_before(repointed, unchanged)


def _repointed_walked(
    old_tree: ast.Module,
    new_tree: ast.Module,
    package: tuple[str, bool],
    shims: dict[str, ShimBody],
) -> tuple[Repointed, ...] | None:
    """The plain walk: both trees node by node."""
    repointed: list[Repointed] = []
    old_nodes, new_nodes = list(ast.walk(old_tree)), list(ast.walk(new_tree))
    if len(old_nodes) != len(new_nodes):
        return None
    unchanged: set[_Imported] = set()
    for a, b in zip(old_nodes, new_nodes, strict=True):
        if type(a) is not type(b) or not same_lines(a, b):
            return None
        if isinstance(a, ast.ImportFrom) and isinstance(b, ast.ImportFrom):
            if (a.module, a.level) == (b.module, b.level):
                unchanged.add(_imported(b, package))
                continue
            statement = _repointed_statement(a, b, package, shims)
            if statement is None:
                return None
            repointed.append(statement)
        elif not same_fields(a, b):
            return None
    return _unless_imported_before(repointed, unchanged)


def _imported(statement: ast.ImportFrom, package: tuple[str, bool]) -> _Imported:
    return _absolute(statement, package), tuple(alias.name for alias in statement.names)


def _unless_imported_before(
    repointed: list[Repointed], unchanged: set[_Imported]
) -> tuple[Repointed, ...] | None:
    # the child knows a repointed statement by what it imports: one that did so before too would
    # pass for it
    if any((r.module, r.names) in unchanged for r in repointed):
        return None
    return tuple(repointed)


def _repointed_statement(
    old: ast.ImportFrom, new: ast.ImportFrom, package: tuple[str, bool], shims: dict[str, ShimBody]
) -> Repointed | None:
    shim, target = _absolute(old, package), _absolute(new, package)
    body = shims.get(shim or "")
    if body is None or target is None:
        return None
    names = tuple(alias.name for alias in new.names)
    if names != tuple(alias.name for alias in old.names) or "*" in names:
        return None
    if any(body.takes.get(name) != (target, name) for name in names):
        return None  # the shim does not take that very name from that module
    return Repointed(target, names, body.module)
