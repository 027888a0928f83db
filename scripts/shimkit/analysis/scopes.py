"""Which occurrences of a name are not its import: Python's scoping rules, applied to one file.

``from pkg import old`` then ``def f(old): return old.render()``: the parameter is another binding,
so neither it nor ``old.render`` is a use of the import. Each occurrence of a name is resolved to
the scope that binds it (parameters, assignments, ``for``/``with``/``except`` targets, comprehension
variables, ``def``/``class`` names, ``global``/``nonlocal`` declarations; a class body is not seen
by its methods); inside that scope, to the bindings that can reach it. A binding dominates an
occurrence when it comes first in the same block or an enclosing one; the walk back from an
occurrence stops at the first import (a use of it) or the first dominating other binding or
``del`` (not a use). Whatever cannot be decided counts as a use of the import, as a name-based
reading would: the rewrite then stays as careful as it was.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum

from .astwalk import all_parameters


class Occurrence(Enum):
    READ = "read"  # a load, an augmented assignment or a ``del``: it needs the binding it reaches
    BIND = "bind"  # an assignment, a parameter, a ``def``/``class``/``except`` name: a new binding


@dataclass(frozen=True)
class _Event:
    order: int
    block: tuple[int, ...]  # the nested statement blocks, within its scope, it happens in
    is_import: bool


@dataclass(frozen=True)
class _Place:
    order: int
    block: tuple[int, ...]


@dataclass
class _Scope:
    kind: str
    parent: _Scope | None
    place: _Place  # where the scope's statement is, in its parent
    events: dict[str, list[_Event]] = field(default_factory=dict)
    globals: set[str] = field(default_factory=set)
    nonlocals: set[str] = field(default_factory=set)

    def bind(self, name: str, event: _Event) -> None:
        self.events.setdefault(name, []).append(event)


@dataclass(frozen=True)
class _Seen:
    offset: tuple[int, int]  # (line, column in UTF-8 bytes), as ``ast`` counts
    name: str
    how: Occurrence
    scope: _Scope
    place: _Place


_END = _Place(1 << 62, ())  # a use from a nested function: it runs after its scope is set up


def foreign_offsets(text: str, names: Iterable[str]) -> frozenset[int] | None:
    """The offsets in ``text`` of the occurrences of ``names`` (as name chains start: a name, a
    parameter, a ``def``/``class`` name, an ``except ... as`` name) that are not an import of
    theirs nor a use of one. None when ``ast`` cannot read the text as the offsets count it."""
    wanted = frozenset(names)
    if not wanted or text.count("\r") != text.count("\r\n"):
        return None
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError):
        return None
    lines = text.split("\n")
    starts = _line_starts(lines)
    return frozenset(
        starts[line - 1] + _column(lines[line - 1], column)
        for line, column in foreign_positions(tree, wanted, lines)
    )


def foreign_positions(
    tree: ast.Module, names: Iterable[str], lines: list[str] | None = None
) -> frozenset[tuple[int, int]]:
    """As :func:`foreign_offsets`, in ``ast`` positions (line, column in UTF-8 bytes). Without
    the ``lines`` of the source, the names of ``def``/``class``/``except ... as`` are left out
    (they bind; they are never uses)."""
    walker = _Walker(frozenset(names), lines)
    try:
        walker.body(tree.body, walker.module)
    except RecursionError:  # an expression nested deeper than the walk can go: nothing is known
        return frozenset()
    return frozenset(seen.offset for seen in walker.seen if not _reaches_import(seen))


def _line_starts(lines: list[str]) -> list[int]:
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    return starts


def _column(line: str, byte_column: int) -> int:
    return byte_column if line.isascii() else len(line.encode()[:byte_column].decode())


# -- resolving ---------------------------------------------------------------------------------


def _reaches_import(seen: _Seen) -> bool:
    if seen.how is Occurrence.BIND:
        # a binding of its own, or (``global old`` then ``old = ...``) one replacing the import
        return False
    scope, place = _binding_scope(seen.scope, seen.name, seen.place)
    while scope is not None:
        events = scope.events[seen.name]
        found = _reaching(events, place)
        if found is not None:
            return found
        if scope.kind != "class":
            # no dominating binding: an import anywhere in the scope may be the one reached
            return any(event.is_import for event in events)
        # a class body reads the enclosing names where it has none of its own yet
        scope, place = _binding_scope(scope.parent, seen.name, scope.place, inside=False)
    return True  # bound nowhere in the file: nothing says it is not the import


def _binding_scope(
    scope: _Scope | None, name: str, place: _Place, inside: bool = True
) -> tuple[_Scope | None, _Place]:
    """The scope whose binding of ``name`` an occurrence at ``place`` in ``scope`` reads, and
    when, in that scope, it reads it: where a class body or a comprehension stands, or at the
    end (from a function, which runs once its scope is set up). ``inside``: the occurrence is in
    ``scope`` itself, not in a scope nested in it."""
    while scope is not None:
        seen_here = inside or scope.kind != "class"  # a class body is not seen by its methods
        if seen_here and name in scope.globals:
            module = scope
            while module.parent is not None:
                module = module.parent
            if name not in module.events:
                return None, place
            return module, place if module is scope else _END
        if seen_here and name in scope.events and name not in scope.nonlocals:
            return scope, place
        if scope.kind == "function" or place is _END:
            place = _END
        elif seen_here:
            place = scope.place
        scope, inside = scope.parent, False
    return None, place


def _reaching(events: list[_Event], place: _Place) -> bool | None:
    """True when an import is the binding last set before ``place`` on some path, False when a
    dominating other binding comes after every import, None when nothing before decides."""
    for event in sorted(events, key=lambda e: e.order, reverse=True):
        if event.order >= place.order:
            continue
        if event.is_import:
            return True
        if place.block[: len(event.block)] == event.block:
            return False
    return None


# -- walking -----------------------------------------------------------------------------------


_DEFINES = {
    keyword: re.compile(rb"\s*(?:async\s+)?" + keyword.encode() + rb"\s+")
    for keyword in ("def", "class")
}
_AS = re.compile(rb"[\s)]*as\s+")
_STAR = re.compile(rb"\*\s*")
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)


class _Walker:
    def __init__(self, wanted: frozenset[str], lines: list[str] | None) -> None:
        self.wanted = wanted
        self.lines = lines
        self.order = 0
        self.block: tuple[int, ...] = ()
        self.blocks = 0
        self.module = _Scope("module", None, _Place(0, ()))
        self.seen: list[_Seen] = []

    def place(self) -> _Place:
        self.order += 1
        return _Place(self.order, self.block)

    def bind(
        self, scope: _Scope, name: str, offset: tuple[int, int] | None, is_import: bool
    ) -> None:
        if name not in self.wanted:
            return
        place = self.place()
        target = scope
        if name in scope.globals:
            target = self.module
            place = _Place(place.order, ())  # from inside a function: it may or may not run
        target.bind(name, _Event(place.order, place.block if target is scope else (-1,), is_import))
        if offset is not None:
            self.seen.append(_Seen(offset, name, Occurrence.BIND, scope, place))

    def read(self, scope: _Scope, name: str, offset: tuple[int, int]) -> None:
        if name in self.wanted:
            self.seen.append(_Seen(offset, name, Occurrence.READ, scope, self.place()))

    def body(self, statements: list[ast.stmt], scope: _Scope) -> None:
        for statement in statements:
            self.statement(statement, scope)

    @contextmanager
    def inner_block(self) -> Iterator[None]:
        """A block that may or may not run: its bindings dominate only what it holds."""
        outer = self.block
        self.blocks += 1
        self.block = (*outer, self.blocks)
        try:
            yield
        finally:
            self.block = outer

    def nested(self, statements: list[ast.stmt], scope: _Scope) -> None:
        with self.inner_block():
            self.body(statements, scope)

    def statement(self, node: ast.stmt, scope: _Scope) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            self.definition(node, scope)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                local = alias.asname or alias.name.split(".")[0]
                if local != "*":
                    self.bind(scope, local, None, is_import=True)
        elif isinstance(node, ast.Global | ast.Nonlocal):
            names = scope.globals if isinstance(node, ast.Global) else scope.nonlocals
            names.update(node.names)
            self.declared(node, scope)
        elif isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            self.assignment(node, scope)
        elif isinstance(node, ast.For | ast.AsyncFor):
            self.expression(node.iter, scope)
            with self.inner_block():
                self.target(node.target, scope)
                self.body(node.body, scope)
            self.nested(node.orelse, scope)
        elif isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                self.expression(item.context_expr, scope)
                if item.optional_vars is not None:
                    self.target(item.optional_vars, scope)
            self.body(node.body, scope)
        elif isinstance(node, ast.Try | ast.TryStar):
            self.nested(node.body, scope)
            for handler in node.handlers:
                self.handler(handler, scope)
            self.nested(node.orelse, scope)
            self.body(node.finalbody, scope)
        elif isinstance(node, ast.If | ast.While):
            self.expression(node.test, scope)
            self.nested(node.body, scope)
            self.nested(node.orelse, scope)
        elif isinstance(node, ast.Match):
            self.expression(node.subject, scope)
            for case in node.cases:
                with self.inner_block():
                    self.pattern(case.pattern, scope)
                    if case.guard is not None:
                        self.expression(case.guard, scope)
                    self.body(case.body, scope)
        elif isinstance(node, ast.Delete):
            for target in node.targets:
                self.expression(target, scope)  # a use of what it deletes
                if isinstance(target, ast.Name):
                    self.bind(scope, target.id, None, is_import=False)  # then unbound
        else:
            self.generic(node, scope)

    def declared(self, node: ast.Global | ast.Nonlocal, scope: _Scope) -> None:
        """The names of ``global``/``nonlocal`` read the binding they declare."""
        for name in node.names:
            if name in self.wanted:
                pattern = re.compile(rb"\s*(?:global|nonlocal)\b.*?\b" + name.encode() + rb"\b")
                offset = self.found(pattern, node.lineno, node.col_offset)
                if offset is not None:
                    self.read(scope, name, (offset[0], offset[1] - len(name.encode())))

    def definition(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, scope: _Scope
    ) -> None:
        for decorator in node.decorator_list:
            self.expression(decorator, scope)
        if isinstance(node, ast.ClassDef):
            for base in (*node.bases, *node.keywords):
                self.expression(base, scope)
            inner = _Scope("class", scope, self.place())
            self.body(node.body, inner)
        else:
            self.arguments_outside(node.args, scope)
            if node.returns is not None:
                self.expression(node.returns, scope)
            inner = _Scope("function", scope, self.place())
            self.parameters(node.args, inner)
            self.body(node.body, inner)
        self.bind(scope, node.name, self.definition_name(node), is_import=False)

    def definition_name(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
    ) -> tuple[int, int] | None:
        keyword = "class" if isinstance(node, ast.ClassDef) else "def"
        return self.found(_DEFINES[keyword], node.lineno, node.col_offset)

    def found(self, pattern: re.Pattern[bytes], line: int, column: int) -> tuple[int, int] | None:
        """Where ``pattern``, matched at ``column`` of ``line``, ends (None without the lines)."""
        if self.lines is None:
            return None
        match = pattern.match(self.lines[line - 1].encode(), column)
        return (line, match.end()) if match else None

    def handler(self, node: ast.ExceptHandler, scope: _Scope) -> None:
        if node.type is not None:
            self.expression(node.type, scope)
        with self.inner_block():
            if node.name and node.type is not None and node.type.end_lineno is not None:
                offset = self.found(_AS, node.type.end_lineno, node.type.end_col_offset or 0)
                self.bind(scope, node.name, offset, is_import=False)
            self.body(node.body, scope)

    def assignment(self, node: ast.Assign | ast.AugAssign | ast.AnnAssign, scope: _Scope) -> None:
        if node.value is not None:
            self.expression(node.value, scope)
        if isinstance(node, ast.AnnAssign):
            self.expression(node.annotation, scope)
            if node.value is None:  # ``x: int`` binds nothing, but makes ``x`` local
                self.expression(node.target, scope)
                return
        if isinstance(node, ast.AugAssign):
            self.expression(node.target, scope)  # reads the binding it reaches, then rebinds
            return
        for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
            self.target(target, scope)

    def target(self, node: ast.expr, scope: _Scope) -> None:
        self.expression(node, scope)

    def arguments_outside(self, args: ast.arguments, scope: _Scope) -> None:
        for default in (*args.defaults, *(d for d in args.kw_defaults if d is not None)):
            self.expression(default, scope)
        for arg in all_parameters(args):
            if arg.annotation is not None:
                self.expression(arg.annotation, scope)

    def parameters(self, args: ast.arguments, inner: _Scope) -> None:
        for arg in all_parameters(args):
            self.bind(inner, arg.arg, (arg.lineno, arg.col_offset), is_import=False)

    def expression(self, node: ast.AST, scope: _Scope) -> None:
        if isinstance(node, ast.Name):
            offset = (node.lineno, node.col_offset)
            if isinstance(node.ctx, ast.Store):
                self.bind(scope, node.id, offset, is_import=False)
            else:
                self.read(scope, node.id, offset)
        elif isinstance(node, ast.Lambda):
            self.arguments_outside(node.args, scope)
            inner = _Scope("function", scope, self.place())
            self.parameters(node.args, inner)
            self.expression(node.body, inner)
        elif isinstance(node, _COMPREHENSIONS):
            self.comprehension(node, scope)
        elif isinstance(node, ast.NamedExpr):
            self.expression(node.value, scope)
            self.expression(node.target, _outside_comprehensions(scope))
        else:
            self.generic(node, scope)

    def comprehension(
        self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp, scope: _Scope
    ) -> None:
        # the first iterable is evaluated where the comprehension stands
        self.expression(node.generators[0].iter, scope)
        inner = _Scope("comprehension", scope, self.place())
        for index, generator in enumerate(node.generators):
            if index:
                self.expression(generator.iter, inner)
            self.target(generator.target, inner)
            for condition in generator.ifs:
                self.expression(condition, inner)
        if isinstance(node, ast.DictComp):
            self.expression(node.key, inner)
            self.expression(node.value, inner)
        else:
            self.expression(node.elt, inner)

    def pattern(self, node: ast.pattern, scope: _Scope) -> None:
        """A ``case`` pattern: its values are read, its captures (``x``, ``... as x``, ``*x``)
        bind; ``**rest`` binds too, where no position of its name is known."""
        self.generic(node, scope)
        name = getattr(node, "name", None) or getattr(node, "rest", None)
        if name is None:
            return
        offset: tuple[int, int] | None = None
        if isinstance(node, ast.MatchAs) and node.pattern is None:
            offset = (node.lineno, node.col_offset)
        elif isinstance(node, ast.MatchAs) and node.pattern is not None:
            end = node.pattern
            offset = self.found(_AS, end.end_lineno or end.lineno, end.end_col_offset or 0)
        elif isinstance(node, ast.MatchStar):
            offset = self.found(_STAR, node.lineno, node.col_offset)
        self.bind(scope, name, offset, is_import=False)

    def generic(self, node: ast.AST, scope: _Scope) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.stmt):
                self.statement(child, scope)
            elif isinstance(child, ast.pattern):
                self.pattern(child, scope)
            else:
                self.expression(child, scope)


def _outside_comprehensions(scope: _Scope) -> _Scope:
    while scope.kind == "comprehension" and scope.parent is not None:
        scope = scope.parent
    return scope
