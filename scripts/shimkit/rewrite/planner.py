"""Decide every edit of a file from its :class:`Facts` and the :class:`Moves` (docs/design.md).

Pure: no parsing library is used here beyond the stdlib tokenizer (via :mod:`.statements`) and
``ast`` on single rewritten import statements, so both engines get the same edits.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum

from shimkit.analysis import foreign_offsets
from shimkit.domain.imports import relative_spelling, resolve_relative
from shimkit.domain.model import Moves

from .errors import RewriteError
from .facts import (
    Chain,
    Edit,
    Facts,
    TryImport,
    apply_edits,
    indent_at,
    line_end,
    line_of,
    line_start,
)
from .statements import ImportKind, Item, ParsedImport, RenderItem, parse_import, render_from
from .strings import rewrite_string_literal

_IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError"})


class BindingKind(Enum):
    ALIAS = "alias"  # ``import a.old as x``: ``x`` is the module
    DOTTED = "dotted"  # ``import a.old``: the chain ``a.old`` is the module
    SUBMODULE = "submodule"  # ``from a import old``
    PARENT = "parent"  # ``import a`` reaching ``a.old.name`` through attribute chains


@dataclass(frozen=True)
class _Binding:
    """A local name (or dotted prefix) bound to a moved module by an import item."""

    prefix: tuple[str, ...]  # ("x",) for an alias or submodule import; ("a", "b") for import a.b
    old: str
    kind: BindingKind
    stmt: ParsedImport
    item: Item


@dataclass(frozen=True)
class _Decision:
    """What becomes of a binding: its one target module (the binding's own module: it stays),
    or, without one, the modules its used names are imported from one by one; and the uses to
    rewrite: ``retarget`` chains get the target as their prefix, ``ungroup`` chains ``x.a``
    become ``a``, and the ``renamed`` attributes of ``uses`` get their new names."""

    target: str | None
    groups: dict[str, list[str]] = field(default_factory=dict)  # module -> local names
    retarget: tuple[Chain, ...] = ()
    ungroup: tuple[Chain, ...] = ()
    renamed: dict[str, str] = field(default_factory=dict)
    uses: tuple[Chain, ...] = ()


@dataclass(frozen=True)
class _Decided(_Binding):
    """A binding and what becomes of it: what the import statements are rewritten from."""

    decision: _Decision

    @classmethod
    def of(cls, binding: _Binding, decision: _Decision) -> _Decided:
        return cls(binding.prefix, binding.old, binding.kind, binding.stmt, binding.item, decision)

    @property
    def target(self) -> str | None:
        return self.decision.target

    @property
    def groups(self) -> dict[str, list[str]]:
        return self.decision.groups


@dataclass(frozen=True)
class _ThroughParent:
    """An import item whose chains reach moved modules below it (``import a``: ``a.old.x``)."""

    still_used: bool  # the item itself (other chains of ``a``)
    modules: list[str]  # to import for the chains that now go to ``target.x``
    grouped: list[_Decided]  # bindings whose names are imported one by one


@dataclass(frozen=True)
class _FromEntry:
    """One item of a rewritten from-import: the module it is imported from, spelled as the
    statement names modules, and whether the original item can stay where it is."""

    module: str  # absolute: the order of the statements rendered
    spelling: str
    item: RenderItem
    in_place: bool


@dataclass
class _FromPlan:
    entries: list[_FromEntry] = field(default_factory=list)
    renamed: list[tuple[Item, str]] = field(default_factory=list)  # in place, with a new text
    plain: list[str] = field(default_factory=list)  # ``import mod [as x]`` of top-level modules


class Planner:
    def __init__(
        self,
        text: str,
        facts: Facts,
        moves: Moves,
        importer: str | None,
        is_package: bool,
        path: str,
    ) -> None:
        self.text = text
        self.facts = facts
        self.moves = moves
        self.importer = importer
        self.is_package = is_package
        self.path = path
        self.old_modules = moves.old_modules()
        self.edits: dict[tuple[int, int], str] = {}
        self.bound_heads: frozenset[str] = frozenset()
        self._foreign: frozenset[int] | None = None
        self.statements = {
            fact.start: parse_import(text, fact.start, fact.end) for fact in facts.imports
        }
        self.top_imports = {
            item.name
            for stmt in self.statements.values()
            if stmt.kind is ImportKind.IMPORT and not indent_at(text, stmt.start)
            for item in stmt.items
            if item.alias is None
        }

    # -- helpers -------------------------------------------------------------------------------

    def error(self, offset: int, message: str) -> RewriteError:
        return RewriteError(self.path, line_of(self.text, offset), message)

    def add(self, start: int, end: int, new: str) -> None:
        if self.text[start:end] == new:
            return
        previous = self.edits.get((start, end))
        if previous is not None and previous != new:
            raise self.error(start, f"conflicting rewrites of {self.text[start:end]!r}")
        self.edits[(start, end)] = new

    def resolve(self, stmt: ParsedImport) -> str | None:
        """The absolute module of a from-import; None for a relative one we cannot resolve."""
        return resolve_relative(self.importer, self.is_package, stmt.level, stmt.module or None)

    def spelled(self, stmt: ParsedImport, module: str) -> str:
        """``module`` as the statement names modules: a relative import keeps its style
        (``shimkit.domain.imports.relative_spelling``)."""
        if stmt.level and self.importer is not None:
            return relative_spelling(self.importer, self.is_package, stmt.level, module)
        return module

    def module_target(self, old: str) -> str | None:
        if old in self.moves.modules:
            return self.moves.modules[old]
        targets = {new for (module, _), new in self.moves.names.items() if module == old}
        return targets.pop() if len(targets) == 1 else None

    def name_target(self, old: str, name: str) -> str:
        return self.moves.names.get((old, name)) or self.moves.modules.get(old) or old

    def import_text(self, old: str, name: str, local: str) -> str:
        """The from-import item binding ``local`` to ``old.name`` at its new place."""
        new = self.moves.new_name(old, name)
        return new if new == local else f"{new} as {local}"

    def uses_of(self, prefix: tuple[str, ...]) -> list[Chain]:
        """The chains starting with ``prefix`` that reach an import of its head: a parameter or
        a local of the same name is another binding (``analysis.foreign_offsets``)."""
        uses = [chain for chain in self.facts.chains if chain.parts[: len(prefix)] == prefix]
        if not uses:
            return uses
        if self._foreign is None:
            # only a name that stands alone somewhere (a parameter, an assignment, a ``def``...)
            # can be bound otherwise than by its import: only then are the scopes asked
            alone = {chain.parts[0] for chain in self.facts.chains if len(chain.parts) == 1}
            rebound = alone & self.bound_heads
            self._foreign = (
                foreign_offsets(self.text, rebound) if rebound else None
            ) or frozenset()
        return [chain for chain in uses if chain.start not in self._foreign]

    # -- the plan ------------------------------------------------------------------------------

    def plan(self) -> list[Edit]:
        bindings = self.find_bindings()
        self.bound_heads = frozenset(binding.prefix[0] for binding in bindings)
        heads = Counter(chain.parts[0] for chain in self.facts.chains)
        bound = self.import_bound_names()
        fstrings = [
            _replacement_fields(self.text[tok.start : tok.end])
            for tok in self.facts.strings
            if "f" in _prefix(self.text[tok.start : tok.end]).lower()
        ]
        decided: list[_Decided] = []
        for binding in bindings:
            decided.append(_Decided.of(binding, self.decide(binding, heads, bound, fstrings)))
            self.emit(decided[-1])
        for stmt in self.statements.values():
            if stmt.kind is ImportKind.IMPORT:
                self.rewrite_import(stmt, decided)
            else:
                self.rewrite_from(stmt, decided)
        for tok in self.facts.strings:
            if tok.concatenated:
                continue
            new = rewrite_string_literal(self.text[tok.start : tok.end], self.moves)
            if new is not None:
                self.add(tok.start, tok.end, new)
        for try_fact in self.facts.tries:
            self.collapse(try_fact)
        return [Edit(start, end, new) for (start, end), new in sorted(self.edits.items())]

    def find_bindings(self) -> list[_Binding]:
        bindings: list[_Binding] = []
        for stmt in self.statements.values():
            if stmt.kind is ImportKind.IMPORT:
                for item in stmt.items:
                    if item.name not in self.old_modules:
                        continue
                    if item.alias is not None:
                        bindings.append(
                            _Binding((item.alias,), item.name, BindingKind.ALIAS, stmt, item)
                        )
                    else:
                        prefix = tuple(item.name.split("."))
                        bindings.append(_Binding(prefix, item.name, BindingKind.DOTTED, stmt, item))
                continue
            resolved = self.resolve(stmt)
            if resolved is None:
                continue
            for item in stmt.items:
                full = f"{resolved}.{item.name}" if resolved else item.name
                if full in self.old_modules:
                    local = item.alias or item.name
                    bindings.append(_Binding((local,), full, BindingKind.SUBMODULE, stmt, item))
        bindings += self.parent_bindings(bindings)
        return bindings

    def parent_bindings(self, direct: list[_Binding]) -> list[_Binding]:
        """``import a`` (``import a as x``, ``from p import a``) whose attribute chains reach a
        moved module below it: ``a.old.name``. Not where the file imports that module itself."""
        taken = {binding.prefix for binding in direct}
        found: list[_Binding] = []
        prefixes = {chain.parts[:size] for chain in self.facts.chains for size in (2, 3, 4)}
        for stmt in self.statements.values():
            resolved = self.resolve(stmt) if stmt.kind is ImportKind.FROM else ""
            if resolved is None or stmt.star:
                continue
            for item in stmt.items:
                if stmt.kind is ImportKind.IMPORT:
                    package = item.name if item.alias else item.name.split(".")[0]
                    local = item.alias or package
                else:
                    package = f"{resolved}.{item.name}" if resolved else item.name
                    local = item.alias or item.name
                for old in sorted(self.old_modules):
                    if not old.startswith(package + ".") or old == item.name:
                        continue
                    prefix = (local, *old[len(package) + 1 :].split("."))
                    if prefix in prefixes and prefix not in taken:
                        taken.add(prefix)
                        found.append(_Binding(prefix, old, BindingKind.PARENT, stmt, item))
        return found

    def import_bound_names(self) -> dict[str, set[tuple[str, str]]]:
        bound: dict[str, set[tuple[str, str]]] = {}
        for stmt in self.statements.values():
            module = self.resolve(stmt) if stmt.kind is ImportKind.FROM else None
            for item in stmt.items:
                if stmt.kind is ImportKind.FROM:
                    origin = module or stmt.module_text
                    new = self.moves.new_name(origin, item.name)
                    source = (self.name_target(origin, item.name), new)
                    bound.setdefault(item.alias or item.name, set()).add(source)
                else:
                    local = item.alias or item.name.split(".")[0]
                    bound.setdefault(local, set()).add((item.name, ""))
        return bound

    def decide(
        self,
        binding: _Binding,
        heads: Counter[str],
        bound: dict[str, set[tuple[str, str]]],
        fstrings: list[str],
    ) -> _Decision:
        """Where ``binding`` goes and what becomes of its uses; raises when the conventions
        cannot say (nothing is emitted here: see :meth:`emit`)."""
        if binding.kind is BindingKind.PARENT:
            return self.decide_parent(binding, heads, bound, fstrings)
        size = len(binding.prefix)
        uses = self.uses_of(binding.prefix)
        attrs = list(dict.fromkeys(chain.parts[size] for chain in uses if len(chain.parts) > size))
        bare = any(len(chain.parts) == size for chain in uses)
        in_fstrings = self.fstring_uses(binding, fstrings)
        bare = bare or "" in in_fstrings
        attrs += [a for a in in_fstrings if a and a not in attrs]
        if binding.old in self.moves.mixed:
            moved = [a for a in attrs if self.name_target(binding.old, a) != binding.old]
            if not moved:
                return _Decision(binding.old)  # only its own names: the reference stays
            if bare or len(moved) < len(attrs):
                # the module stays for its own names; each moved name gets an import of its own
                self.check_fstrings(binding, fstrings)
                moved_uses = [c for c in uses if len(c.parts) > size and c.parts[size] in moved]
                groups = self.group(binding, moved, heads, bound)
                return _Decision(binding.old, groups, ungroup=tuple(moved_uses))
        if bare or not attrs:
            if binding.old not in self.moves.modules and binding.old in self.moves.kept:
                return _Decision(binding.old)  # the module stays; so does this reference to it
            targets = {self.single_target(binding, attrs, bare)}
        else:
            targets = {self.name_target(binding.old, a) for a in attrs}
        if len(targets) == 1:
            target = targets.pop()
            if target == binding.old:
                return _Decision(target)
            retarget: tuple[Chain, ...] = ()
            if binding.kind is BindingKind.DOTTED:
                self.check_fstrings(binding, fstrings)
                retarget = tuple(uses)
            renamed = self.attribute_renames(binding, attrs, in_fstrings)
            return _Decision(target, retarget=retarget, renamed=renamed, uses=tuple(uses))
        if binding.kind is BindingKind.DOTTED:
            raise self.error(
                binding.item.start,
                f"`import {binding.old}`: used names move to several modules "
                f"({', '.join(sorted(targets))}); import them explicitly",
            )
        self.check_fstrings(binding, fstrings)
        return _Decision(None, self.group(binding, attrs, heads, bound), ungroup=tuple(uses))

    def single_target(self, binding: _Binding, attrs: list[str], bare: bool) -> str:
        """The one module a binding used as a module object (or not used at all) goes to."""
        local = ".".join(binding.prefix)
        target = self.module_target(binding.old)
        if target is None:
            how = "is used as a module object" if bare else "has no attribute uses"
            raise self.error(
                binding.item.start,
                f"`{local}` ({binding.old}) {how} and its names do not all move to one module",
            )
        stray = [a for a in attrs if self.name_target(binding.old, a) != target]
        if stray:
            raise self.error(
                binding.item.start,
                f"`{local}` ({binding.old}) is used as a module object but "
                f"{', '.join(stray)} move elsewhere than {target}",
            )
        return target

    def decide_parent(
        self,
        binding: _Binding,
        heads: Counter[str],
        bound: dict[str, set[tuple[str, str]]],
        fstrings: list[str],
    ) -> _Decision:
        """``a.old.name`` through ``import a``: the chain goes to ``target.name`` (with an
        ``import target``) when every moved name used lands in one module, else to ``name``
        imported from its module."""
        size = len(binding.prefix)
        local = ".".join(binding.prefix)
        uses = self.uses_of(binding.prefix)
        bare = any(len(chain.parts) == size for chain in uses)
        attrs = list(dict.fromkeys(chain.parts[size] for chain in uses if len(chain.parts) > size))
        moved = [a for a in attrs if self.name_target(binding.old, a) != binding.old]
        if binding.old in self.moves.mixed:
            # a mixed module stays, and with it every use of it as a module object: only the
            # chains to names it stops re-exporting move
            uses = [
                chain for chain in uses if len(chain.parts) > size and chain.parts[size] in moved
            ]
            attrs = moved
            bare = False
        if not attrs and not bare:
            return _Decision(binding.old)
        self.check_fstrings(binding, fstrings)
        targets = {self.name_target(binding.old, a) for a in attrs}
        if bare:
            target = self.module_target(binding.old)
            if target is None or targets - {target}:
                raise self.error(
                    binding.item.start,
                    f"`{local}` ({binding.old}) is used as a module object and its names do not "
                    "all move to one module",
                )
            targets = {target}
        if len(targets) > 1:
            return _Decision(None, self.group(binding, attrs, heads, bound), ungroup=tuple(uses))
        target = targets.pop()
        head = target.split(".")[0]
        others = {source for source in bound.get(head, set()) if source[1]}
        if others or (heads[head] and head not in bound and head != binding.prefix[0]):
            raise self.error(
                binding.item.start,
                f"cannot rewrite `{local}` as `{target}`: `{head}` is already bound in this file",
            )
        renamed = self.attribute_renames(binding, attrs, [])
        return _Decision(target, retarget=tuple(uses), renamed=renamed, uses=tuple(uses))

    def group(
        self,
        binding: _Binding,
        attrs: list[str],
        heads: Counter[str],
        bound: dict[str, set[tuple[str, str]]],
    ) -> dict[str, list[str]]:
        """The module each ``x.a`` of ``attrs`` is imported from, as ``a`` (uses become ``a``)."""
        local = ".".join(binding.prefix)
        groups: dict[str, list[str]] = {}
        for name in attrs:
            module = self.name_target(binding.old, name)
            same = (module, self.moves.new_name(binding.old, name))
            sources = bound.get(name, set()) - {same}
            if sources or (heads[name] and same not in bound.get(name, set())):
                raise self.error(
                    binding.item.start,
                    f"cannot replace `{local}.{name}` with `{name}`: "
                    f"`{name}` is already bound or used in this file",
                )
            if same in bound.get(name, set()) and binding.old in self.moves.mixed:
                continue  # the file imports it from there already
            groups.setdefault(module, []).append(name)
        for names in groups.values():
            names.sort(key=lambda name: (self.moves.new_name(binding.old, name), name))
        return groups

    def attribute_renames(
        self, binding: _Binding, attrs: list[str], in_fstrings: list[str]
    ) -> dict[str, str]:
        """``x.a`` becomes ``x.b`` where ``a`` is called ``b`` in the binding's new module."""
        renamed = {a: new for a in attrs if (new := self.moves.new_name(binding.old, a)) != a}
        if any(a in renamed for a in in_fstrings):
            raise self.error(
                binding.item.start,
                f"`{'.'.join(binding.prefix)}` is used inside an f-string; rewrite it by hand",
            )
        return renamed

    def emit(self, decided: _Decided) -> None:
        """The edits of the uses of one decided binding."""
        size = len(decided.prefix)
        decision = decided.decision
        for chain in decision.retarget:
            assert decision.target is not None
            self.add(chain.start, chain.ends[size - 1], decision.target)
        for chain in decision.ungroup:
            self.add(chain.start, chain.ends[size], chain.parts[size])
        for chain in decision.uses:
            if len(chain.parts) > size and chain.parts[size] in decision.renamed:
                end = chain.ends[size]
                self.add(end - len(chain.parts[size]), end, decision.renamed[chain.parts[size]])

    def fstring_uses(self, binding: _Binding, fstrings: list[str]) -> list[str]:
        """Attributes of the binding used inside f-strings ("" for a use of the module itself)."""
        pattern = re.compile(
            r"(?<![\w.])" + r"\s*\.\s*".join(map(re.escape, binding.prefix)) + r"(?:\s*\.\s*(\w+))?"
        )
        found: list[str] = []
        for literal in fstrings:
            found += [match.group(1) or "" for match in pattern.finditer(literal)]
        return found

    def check_fstrings(self, binding: _Binding, fstrings: list[str]) -> None:
        pattern = re.compile(
            r"(?<![\w.])" + r"\s*\.\s*".join(map(re.escape, binding.prefix)) + r"\s*\."
        )
        for literal in fstrings:
            if pattern.search(literal):
                raise self.error(
                    binding.item.start,
                    f"`{'.'.join(binding.prefix)}` is used inside an f-string; rewrite it by hand",
                )

    # -- statements ----------------------------------------------------------------------------

    def separator(self, stmt: ParsedImport) -> str:
        before = self.text[line_start(self.text, stmt.start) : stmt.start]
        after = self.text[stmt.end : line_end(self.text, stmt.end)].lstrip(" \t\f")
        if before.strip() or after.startswith(";"):
            return "; "
        return stmt.newline + before

    def through_parent(
        self, stmt: ParsedImport, item: Item, bindings: list[_Decided]
    ) -> _ThroughParent | None:
        """For an item whose chains reach moved modules below it (``import a``: ``a.old.x``):
        what becomes of it. None when there are no such chains."""
        found = [
            b
            for b in bindings
            if b.kind is BindingKind.PARENT
            and b.stmt is stmt
            and b.item is item
            and b.target != b.old
        ]
        if not found:
            return None
        moved = [chain for b in found for chain in self.uses_of(b.prefix)]
        head = found[0].prefix[0]
        left = len(self.uses_of((head,))) - len(moved)
        targets = [
            target
            for target in dict.fromkeys(b.target for b in found if b.target is not None)
            if not self.imported_before(stmt, target)
        ]
        return _ThroughParent(left > 0, targets, [b for b in found if b.groups])

    def imported_before(self, stmt: ParsedImport, module: str) -> bool:
        """A top-level ``import module`` is in the file already (or was added for a chain), so
        a chain through another import needs no second one."""
        if indent_at(self.text, stmt.start):
            return False
        if module in self.top_imports:
            return True
        self.top_imports.add(module)
        return False

    def rewrite_import(self, stmt: ParsedImport, bindings: list[_Decided]) -> None:
        kept: list[str] = []
        groups: dict[str, list[str]] = {}
        plain: list[str] = []
        removed = False
        for item in stmt.items:
            binding = _find(bindings, stmt, item)
            parent = self.through_parent(stmt, item, bindings) if binding is None else None
            if parent is not None:
                removed = True
                if parent.still_used:
                    kept.append(self.text[item.start : item.end])
                plain += [t for t in parent.modules if t not in plain]
                for each in parent.grouped:
                    self.add_groups(each, groups)
            elif binding is None or binding.target == binding.old:
                kept.append(self.text[item.start : item.end])
                if binding is not None and binding.groups:  # a mixed module's moved names
                    removed = True
                    self.add_groups(binding, groups)
            elif binding.target is not None:
                kept.append(binding.target + self.text[item.name_end : item.end])
            else:
                removed = True
                self.add_groups(binding, groups)
        if not removed:
            for item, new in zip(stmt.items, kept, strict=True):
                self.add(item.start, item.end, new)
            return
        parts = [f"import {', '.join(kept)}"] if kept else []
        parts += [f"import {module}" for module in plain if module not in kept]
        parts += [f"from {module} import {', '.join(groups[module])}" for module in sorted(groups)]
        if not parts:
            self.remove(stmt)
            return
        self.add(stmt.start, stmt.end, self.separator(stmt).join(parts))

    def remove(self, stmt: ParsedImport) -> None:
        """An import that binds nothing used any more: its line goes (``pass`` where it is not
        alone at the top level, so a block never becomes empty)."""
        before = self.text[line_start(self.text, stmt.start) : stmt.start]
        after = self.text[stmt.end : line_end(self.text, stmt.end)]
        if before or after.strip():
            self.add(stmt.start, stmt.end, "pass")
            return
        end = line_end(self.text, stmt.end)
        end += 2 if self.text.startswith("\r\n", end) else 1 if end < len(self.text) else 0
        self.add(line_start(self.text, stmt.start), end, "")

    def add_groups(self, binding: _Decided, groups: dict[str, list[str]]) -> None:
        for module, names in binding.groups.items():
            groups.setdefault(module, []).extend(
                self.import_text(binding.old, name, name) for name in names
            )

    def rewrite_from(self, stmt: ParsedImport, bindings: list[_Decided]) -> None:
        resolved = self.resolve(stmt)
        if resolved is None:
            return
        if stmt.star:
            self.rewrite_from_star(stmt, resolved)
            return
        plan = _FromPlan()
        for item in stmt.items:
            self.plan_from_item(stmt, resolved, item, bindings, plan)
        self.emit_from(stmt, resolved, plan)

    def rewrite_from_star(self, stmt: ParsedImport, resolved: str) -> None:
        if resolved in self.moves.stars:
            self.rewrite_star(stmt, self.moves.stars[resolved])
            return
        if resolved in self.moves.modules and any(
            module == resolved for module, _ in self.moves.renames
        ):
            raise self.error(
                stmt.start,
                f"cannot rewrite `from {resolved} import *`: "
                "some names are called differently in their new module",
            )
        if resolved in self.moves.modules:
            self.add(
                stmt.module_start,
                stmt.module_end,
                self.spelled(stmt, self.moves.modules[resolved]),
            )
        elif resolved in self.old_modules:
            raise self.error(stmt.start, f"cannot rewrite `from {resolved} import *`")

    def plan_from_item(
        self,
        stmt: ParsedImport,
        resolved: str,
        item: Item,
        bindings: list[_Decided],
        plan: _FromPlan,
    ) -> None:
        """Where one item of ``from resolved import ...`` goes, added to ``plan``."""
        source = RenderItem(self.text[item.start : item.end], item.leading, item.trailing)
        binding = _find(bindings, stmt, item)
        chains = self.through_parent(stmt, item, bindings) if binding is None else None
        if chains is not None:
            if chains.still_used:
                plan.entries.append(_FromEntry(resolved, stmt.module_text, source, False))
            plan.plain += [t for t in chains.modules if t not in plan.plain]
            plan.entries += [
                _FromEntry(module, module, RenderItem(self.import_text(each.old, n, n)), False)
                for each in chains.grouped
                for module in sorted(each.groups)
                for n in each.groups[module]
            ]
        elif binding is not None and binding.target == binding.old:
            plan.entries.append(_FromEntry(resolved, stmt.module_text, source, True))
            plan.entries += [  # a mixed module stays; its moved names are imported apart
                _FromEntry(
                    module,
                    self.spelled(stmt, module),
                    RenderItem(self.import_text(binding.old, n, n)),
                    False,
                )
                for module in sorted(binding.groups)
                for n in binding.groups[module]
            ]
        elif binding is not None and binding.target is not None:
            parent, _, leaf = binding.target.rpartition(".")
            local = item.alias or item.name
            text = leaf if local == leaf else f"{leaf} as {local}"
            if not parent:  # a top-level module is imported, not taken from a package
                plan.plain.append(text)
                return
            render = RenderItem(text, item.leading, item.trailing)
            plan.entries.append(_FromEntry(parent, self.spelled(stmt, parent), render, False))
        elif binding is not None:
            first = True
            for module in sorted(binding.groups):
                for name in binding.groups[module]:
                    text = self.import_text(binding.old, name, name)
                    render = (
                        RenderItem(text, item.leading, item.trailing) if first else RenderItem(text)
                    )
                    plan.entries.append(
                        _FromEntry(module, self.spelled(stmt, module), render, False)
                    )
                    first = False
        else:
            self.plan_moved_name(stmt, resolved, item, source, plan)

    def plan_moved_name(
        self, stmt: ParsedImport, resolved: str, item: Item, source: RenderItem, plan: _FromPlan
    ) -> None:
        """``from resolved import name``: the name is taken from where it now lives."""
        module = self.name_target(resolved, item.name)
        if module == resolved:
            plan.entries.append(_FromEntry(resolved, stmt.module_text, source, True))
        elif self.moves.new_name(resolved, item.name) == item.name:
            plan.entries.append(_FromEntry(module, self.spelled(stmt, module), source, True))
        else:
            text = self.import_text(resolved, item.name, item.alias or item.name)
            plan.renamed.append((item, text))
            render = RenderItem(text, item.leading, item.trailing)
            plan.entries.append(_FromEntry(module, self.spelled(stmt, module), render, True))

    def emit_from(self, stmt: ParsedImport, resolved: str, plan: _FromPlan) -> None:
        """The edits of a from-import once each item's place is known: none, the module renamed
        in place, or the statement rendered again (one statement per module)."""
        entries = plan.entries
        if not entries and not plan.plain:
            self.remove(stmt)
            return
        in_place = all(entry.in_place for entry in entries)
        if not plan.plain and in_place and all(entry.module == resolved for entry in entries):
            return
        order = sorted(dict.fromkeys(entry.module for entry in entries))
        if not plan.plain and len(order) == 1 and in_place:
            self.add(stmt.module_start, stmt.module_end, self.spelled(stmt, order[0]))
            for item, text in plan.renamed:
                self.add(item.start, item.end, text)
            return
        indent = indent_at(self.text, stmt.start)
        last_module = entries[-1].module if entries else ""
        rendered = []
        for module in order:
            group = [entry for entry in entries if entry.module == module]
            tail = stmt.tail if module == last_module else ()
            items = [entry.item for entry in group]
            rendered.append(render_from(group[0].spelling, items, stmt, indent, tail))
        rendered += [f"import {text}" for text in plan.plain]
        self.add(stmt.start, stmt.end, self.separator(stmt).join(rendered))

    def rewrite_star(self, stmt: ParsedImport, modules: tuple[str, ...]) -> None:
        """``from old import *`` becomes a star import of each module that, together, bind the
        names ``old`` bound: one statement per module, in the order given."""
        if len(modules) == 1:
            self.add(stmt.module_start, stmt.module_end, self.spelled(stmt, modules[0]))
            return
        statements = [f"from {self.spelled(stmt, module)} import *" for module in modules]
        self.add(stmt.start, stmt.end, self.separator(stmt).join(statements))

    # -- try: imports / except ImportError: imports -------------------------------------------

    def collapse(self, fact: TryImport) -> None:
        handled = set(fact.handler_type.strip("()").split(","))
        if not handled or not handled <= _IMPORT_ERRORS:
            return
        body = [self.statements[start] for start in fact.body]
        handler = [self.statements[start] for start in fact.handler]
        if not body or not handler:
            return
        end = line_end(self.text, handler[-1].end)
        inside = [key for key in self.edits if fact.start <= key[0] and key[1] <= end]
        if not inside:
            return
        body_sig = self.signature(body)
        if body_sig is None or body_sig != self.signature(handler):
            return
        region_start, region_end = body[0].start, body[-1].end
        region = apply_edits(
            self.text[region_start:region_end],
            [
                Edit(start - region_start, stop - region_start, self.edits[(start, stop)])
                for start, stop in inside
                if region_start <= start and stop <= region_end
            ],
        )
        body_indent = indent_at(self.text, region_start)
        try_indent = indent_at(self.text, fact.start)
        lines = region.split("\n")
        for index in range(1, len(lines)):
            if lines[index].startswith(body_indent):
                lines[index] = try_indent + lines[index][len(body_indent) :]
        for key in inside:
            del self.edits[key]
        self.edits[(fact.start, end)] = "\n".join(lines)

    def signature(self, statements: Iterable[ParsedImport]) -> list[tuple[object, ...]] | None:
        found: list[tuple[object, ...]] = []
        for stmt in statements:
            new = apply_edits(
                self.text[stmt.start : stmt.end],
                [
                    Edit(start - stmt.start, stop - stmt.start, text)
                    for (start, stop), text in self.edits.items()
                    if stmt.start <= start and stop <= stmt.end
                ],
            )
            indent = indent_at(self.text, stmt.start)
            lines = new.replace("\r\n", "\n").split("\n")
            source = "\n".join(
                line[len(indent) :] if line.startswith(indent) else line for line in lines
            )
            try:
                tree = ast.parse(source.replace("; ", "\n"))
            except SyntaxError:
                return None
            for node in tree.body:
                if isinstance(node, ast.ImportFrom):
                    # a relative and an absolute spelling of one module are the same import
                    module = resolve_relative(
                        self.importer, self.is_package, node.level, node.module
                    )
                    if module is None:
                        return None
                    found += [("from", module, a.name, a.asname) for a in node.names]
                elif isinstance(node, ast.Import):
                    found += [("import", a.name, a.asname) for a in node.names]
        return sorted(found, key=repr)


def _find(bindings: list[_Decided], stmt: ParsedImport, item: Item) -> _Decided | None:
    for binding in bindings:
        if binding.stmt is stmt and binding.item is item and binding.kind is not BindingKind.PARENT:
            return binding
    return None


def _replacement_fields(literal: str) -> str:
    """The code inside the ``{...}`` fields of an f-string literal (nested fields flattened)."""
    body = literal.replace("{{", "").replace("}}", "")
    return " ".join(re.findall(r"\{([^{}]*)", body))


def _prefix(literal: str) -> str:
    index = 0
    while index < len(literal) and literal[index] not in "'\"":
        index += 1
    return literal[:index]


def plan_edits(
    text: str,
    facts: Facts,
    moves: Moves,
    importer: str | None,
    is_package: bool,
    path: str,
) -> list[Edit]:
    """Every edit the conventions ask for in ``text``; raises :class:`RewriteError`."""
    return Planner(text, facts, moves, importer, is_package, path).plan()


__all__ = ["Chain", "plan_edits"]
