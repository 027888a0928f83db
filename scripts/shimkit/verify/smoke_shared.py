"""The one-interpreter import check: the fast path of ``smoke_child.py serve``. Standard library
only; the child loads it by file path, so that nothing of the kit is in ``sys.modules``.

One process imports every module of a check once, in dependency order, and records for each what
a fresh interpreter's import of it records (``record`` of ``smoke_child``: outcome, error and
where, warnings, re-exports). A record is *vouched for* (taken as the fresh one) only when
nothing the process shares between modules could have made it differ from a fresh import; every
other module is imported again on its own (forked or fresh), so the promise stays that of one
interpreter per module. A record is not vouched for when:

- it holds a project ``DeprecationWarning`` or an unusable re-export (a fresh record also holds
  what its packages' imports issued); warnings are recorded per import with
  ``catch_warnings(record=True)`` and ``simplefilter("always")``, so no warning registry hides one
  from the next module;
- a module of its *closure* (every project module its import asked for, even one loaded already,
  with what that one's import asked for, and its packages; an ``__import__`` hook sees them)
  warned, looked up a hidden submodule (below), or changed process state (working folder,
  environment, ``sys.path``, builtins: restored after it);
- a module of its closure had its namespace changed (an attribute set, a module-level dict, list
  or set filled in), or the namespace of a class it defines (found in its namespace, nested
  classes too, with ``__module__`` naming it: an attribute set on the class, a class-level
  dict, list or set filled in), or what it holds (``_Holdings``: a registry instance's dict, a
  signal's receivers, a class made by another module's factory, a list inside a dict, a value
  replaced at the same size), by an import outside the closure, a failed one included;
- its import runs into an import cycle (of the import graph's edges that run on import, the
  change's own included, and of the imports seen here) that this process did not enter once, by
  the module a fresh import of it reaches first (its packages, then what it asked for, in order).

While a module is imported, the submodule attributes of packages are hidden unless its import
asked for that submodule or for a module whose import did: a module that uses ``pkg.sub``
without importing it fails here as it fails alone; a lookup of a hidden one through a path the
hook does not see makes the module untrusted. A failed import leaves nothing behind in
``sys.modules`` (Python removes it), and its record is vouched for on the same terms.
What is compared is module namespaces, their classes', what they hold and process state; not a
C object's own inner state (an ``lru_cache``, an iterator), another library's instances (a
logger), nor an object changed by an import whose closure lacks every module holding it.
"""

from __future__ import annotations

import builtins
import collections
import functools
import gc
import importlib
import importlib.util
import operator
import os
import sys
import time
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

Record = dict[str, Any]
_CONTAINERS = (dict, list, set)


@functools.cache  # asked for on every import statement and every step of every closure walk
def _parents(name: str) -> tuple[str, ...]:
    parts = name.split(".")
    return tuple(".".join(parts[:end]) for end in range(1, len(parts)))


class _SharedPass:
    def __init__(self, src_dir: str, edges: dict[str, list[str]]) -> None:
        self.src_dir = src_dir
        self.tops = {
            entry.removesuffix(".py") for entry in os.listdir(src_dir) if not entry.startswith(".")
        }
        self.edges = edges  # the import graph's: what each module imports when it is imported
        self.cycles: list[tuple[str, ...]] = []
        self.entries: dict[tuple[str, ...], str | None] = {}  # cycle -> ``entry`` of it
        # module -> the project modules its code asked for, in the order it asked
        self.asked: dict[str, dict[str, None]] = {}
        self.inside: dict[str, frozenset[str]] = {}  # module -> the modules importing then
        self.loads: dict[str, int] = {}  # module -> when it was looked up to be loaded
        self.importing: list[str] = []  # the imports under way, innermost last
        # package -> (it, its own __getattr__, the guard put in its place)
        self.guarded: dict[str, tuple[Any, Any, Any]] = {}
        self.peeked = False  # whether the import under way looked up a hidden submodule
        self.writers: dict[str, set[str]] = {}  # module -> imports that changed its namespace
        self.prints: dict[
            str, frozenset[tuple[str, int, int]]
        ] = {}  # module -> fingerprint of its namespace
        self.tainted: set[str] = set()  # modules that warned or changed process state
        self.hidden: dict[str, tuple[Any, str, Any]] = {}  # module -> (package, attribute, it)
        self.current: set[str] = set()  # what the import under way asked for
        # The attributes stay hidden from one import to the next when nothing but what is
        # tracked here changed since the last ``hide`` (``settle``): hiding and revealing every
        # submodule around every import costs the square of the modules
        self.full_hide = True  # the next ``hide`` looks at every module
        self.known: dict[str, Any] = {}  # project module -> it, in sys.modules at the last hide
        self.above: set[str] = set()  # the packages of ``known``
        # of ``known``, the submodules not hidden (their package holds another object, or none)
        self.unhidden: set[str] = set()
        # package -> (it, the keys of its namespace), at the last hide
        self.views: dict[str, tuple[Any, set[str]]] = {}
        self.touched: set[str] = set()  # packages whose namespace got keys since the last hide
        self.size, self.last = 0, ""  # sys.modules at the last hide: its length, last key
        self.added: set[str] = set()  # project modules the last import put in sys.modules
        self.counts: dict[str, int] = {}  # package -> how many of its submodules are hidden
        self.candidates: set[str] = set()  # modules the next ``hide`` looks at
        self.revealed: set[str] = set()  # modules whose closure ``reveal`` put back since ``hide``
        self.projects: dict[str, bool] = {}  # module -> whether it is the project's
        # (module, revealed) -> what its last fingerprint was computed from, and that fingerprint
        self.fingerprinted: dict[tuple[str, bool], _Print] = {}
        # module -> its module-level containers and their sizes when last looked at
        self.sizes: dict[str, list[tuple[Any, int]]] = {}
        # module -> the modules whose own code filled a container of it (a guess that orders
        # another pass, ``retry_order``; no record is vouched for by it)
        self.authors: dict[str, set[str]] = {}
        self.held: dict[str, _Holdings] = {}  # module -> the objects it holds, as last looked at
        # id -> (the module that held it first, at its top level, it): its inner state is
        # watched there only (any import that reads it has that module in its closure)
        self.owners: dict[int, tuple[str, Any]] = {}
        # whether imports are watched for what they write into modules already loaded (prints,
        # holdings, authors); off in the fork tree (``smoke_tree``), where a record is vouched
        # for only when every import before it is of its closure, so no write can be foreign
        self.watching = True

    def project(self, name: str) -> bool:
        known = self.projects.get(name)
        if known is None:
            known = self.projects[name] = name.split(".", 1)[0] in self.tops
        return known

    # -- what each import asks for -----------------------------------------------------------

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> None:
        """First on ``sys.meta_path``: notes which project modules were being imported when a
        module was looked up to be loaded (finds nothing itself)."""
        if self.project(fullname) and fullname not in self.loads:
            self.loads[fullname] = len(self.loads)
            under_way = {n for name in self.importing for n in (*_parents(name), name)}
            self.inside[fullname] = frozenset(filter(_initializing, under_way))

    def asked_for(self, importer: str | None, names: Iterable[str]) -> None:
        """Note an import statement (or call) of ``importer`` asking for ``names``. One run by a
        function of a module imported earlier counts for the import under way that called it."""
        wanted = [name for name in names if self.project(name)]
        if importer is not None and not _initializing(importer):
            importer = next((m for m in reversed(self.importing) if _initializing(m)), None)
        if importer is not None and self.project(importer):
            self.asked.setdefault(importer, {}).update(dict.fromkeys(wanted))
        self.current.update(wanted)
        for name in wanted:
            self.reveal(name)

    def reveal(self, name: str) -> None:
        """Put back the submodule attributes a fresh import of ``name`` would set.

        Called on every import statement run, functions' included (sympy runs thousands while
        its modules build their tables), so it walks only what no earlier call of this import
        walked: a module walked before has its closure revealed already, and what its closure
        gained since was asked for through ``asked_for``, which revealed it then."""
        if not self.hidden or name in self.revealed:
            return
        walked = self.closure(name, known=self.revealed)
        self.revealed |= walked
        for module in walked:
            hidden = self.hidden.pop(module, None)
            if hidden is not None:
                package, attribute, value = hidden
                setattr(package, attribute, value)
                self.counts[module.rpartition(".")[0]] -= 1
                self.candidates.add(module)

    def hide(self) -> None:
        """Remove every submodule attribute of the project's packages, each package getting a
        module ``__getattr__`` that notes when code looks one up while it is hidden. After an
        import ``settle`` kept hidden, only the modules it names are looked at: the others' are
        hidden already or cannot be hidden."""
        self.peeked = False
        self.revealed.clear()
        if self.full_hide:
            self.known, self.views, self.above, self.unhidden = {}, {}, set(), set()
            looked_at = [name for name in sys.modules if self.project(name)]
        else:
            looked_at = sorted(self.candidates)
        for name in looked_at:
            module = sys.modules.get(name)
            if module is not None and name not in self.hidden:
                self._hide(name, module)
        for package_name in [p for p in self.guarded if not self.counts.get(p)]:
            self._unguard(package_name)
        self._remember(looked_at)
        self.candidates, self.full_hide = set(), False

    def _hide(self, name: str, module: Any) -> None:
        package_name, _, attribute = name.rpartition(".")
        package = sys.modules.get(package_name)
        if not package_name or package is None:
            return
        if package.__dict__.get(attribute) is module:
            delattr(package, attribute)
            self.hidden[name] = (package, attribute, module)
            self.counts[package_name] = self.counts.get(package_name, 0) + 1
            if package_name not in self.guarded:
                previous = package.__dict__.get("__getattr__")
                guard = self._guard(package_name, previous)
                self.guarded[package_name] = (package, previous, guard)
                package.__getattr__ = guard  # type: ignore[method-assign]

    def _unguard(self, package_name: str) -> None:
        package, previous, _ = self.guarded.pop(package_name)
        if previous is None:
            del package.__getattr__
        else:
            package.__getattr__ = previous

    def _remember(self, looked_at: Iterable[str]) -> None:
        """Note the project's modules and the keys of their packages' namespaces as ``hide``
        left them, for ``settle`` to tell what changed."""
        packages, modules = set(self.touched), sys.modules
        for name in looked_at:
            module = modules.get(name)
            if module is None:
                continue
            self.known.setdefault(name, module)
            package_name = name.rpartition(".")[0]
            if package_name:
                self.above.add(package_name)
                packages.add(package_name)
                if name in self.hidden:
                    self.unhidden.discard(name)
                else:
                    self.unhidden.add(name)
            packages.add(name)
        for package_name in packages & self.above:
            package = modules.get(package_name)
            if package is not None:
                self.views[package_name] = (package, set(package.__dict__))
        self.touched = set()
        self.size = len(modules)
        self.last = next(reversed(modules), "")

    def settle(self) -> None:
        """After an import: the attributes stay hidden when the import changed nothing hiding
        depends on but what is tracked (modules it loaded, attributes it revealed or set on a
        package), so that the next ``hide`` hides what revealing all and hiding all would (a
        hidden submodule whose module was since replaced in sys.modules stays hidden, as it is
        on a fresh import that does not ask for it); else (a module removed from sys.modules, a
        package replaced, a hidden attribute or a guard set back) they are all revealed, and
        the next ``hide`` looks at every module. ``added``: the project modules the import put
        in sys.modules."""
        added = self._added()
        changed = None if added is None else self._changed(added)
        if added is None or changed is None:
            self.reveal_all()
            added = {n for n in sys.modules.keys() - self.known.keys() if self.project(n)}
        else:
            self.candidates |= changed
        self.added = added

    def _added(self) -> set[str] | None:
        """The project modules put in sys.modules since the last ``hide``, read from its end (a
        dict keeps the order keys came in); None when a module was also removed or put back."""
        modules, added = sys.modules, set()
        for name in reversed(modules):
            if name == self.last:
                break
            added.add(name)
        # the dict's keys view walks the smaller side; a set's ``isdisjoint`` walked every
        # module known, at every import
        if len(modules) != self.size + len(added) or not self.known.keys().isdisjoint(added):
            return None
        return {name for name in added if self.project(name)}

    def _changed(self, added: set[str]) -> set[str] | None:
        """The modules whose attribute on their package may have to be hidden now, beyond those
        revealed; None when the state moved in a way only a whole ``hide`` follows."""
        modules = sys.modules
        if not self.above.isdisjoint(added):
            return None  # a package put in sys.modules after its submodules
        changed = set(added)
        for name in self.unhidden:  # its package now holds its module (either one replaced)?
            package_name, _, attribute = name.rpartition(".")
            package = modules.get(package_name)
            if package is not None and package.__dict__.get(attribute) is modules.get(name):
                changed.add(name)
        for package_name, (package, keys) in self.views.items():
            namespace = package.__dict__
            if modules.get(package_name) is not package:
                return None
            guard = self.guarded.get(package_name)
            if guard is not None and namespace.get("__getattr__") is not guard[2]:
                return None
            for key in namespace.keys() - keys:
                name = f"{package_name}.{key}"
                if name in self.hidden:
                    return None
                changed.add(name)
                self.touched.add(package_name)
        return changed

    def _guard(self, package: str, previous: Any) -> Callable[[str], Any]:
        def __getattr__(attribute: str) -> Any:
            if f"{package}.{attribute}" in self.hidden:
                self.peeked = True
            if previous is not None:
                return previous(attribute)
            raise AttributeError(f"module {package!r} has no attribute {attribute!r}")

        return __getattr__

    def reveal_all(self) -> None:
        for package, attribute, value in self.hidden.values():
            setattr(package, attribute, value)
        self.hidden.clear()
        self.counts.clear()
        for package_name in list(self.guarded):
            self._unguard(package_name)
        self.full_hide = True

    def closure(self, module: str, known: Collection[str] = ()) -> set[str]:
        """What a fresh import of ``module`` asks for: its packages and what its import asked for
        here, each with its own closure (the walk stops at the modules of ``known``)."""
        found: set[str] = set()
        frontier = {module} - set(known)
        while frontier:  # a set at a time: each module's edges are added by C code
            found |= frontier
            following: set[str] = set()
            for name in frontier:
                following.update(_parents(name))
                following.update(self.asked.get(name, ()))
            frontier = following - found
            frontier.difference_update(known)
        return found

    # -- what may differ from a fresh import -------------------------------------------------

    def fingerprint(
        self, name: str, revealed: bool = False
    ) -> frozenset[tuple[str, int, int]] | None:
        """The namespace of module ``name``: (key, id, size of a container) of each value but
        its submodules'. ``revealed``: as it would be with every attribute revealed (the guard
        ``hide`` put in a package's ``__getattr__`` taken back; a hidden submodule's attribute
        is not in the print either way)."""
        module = sys.modules.get(name)
        if module is None:
            return None
        namespace = vars(module)
        # revealed or not, a module without a guard prints the same: one print serves both
        revealed = revealed and name in self.guarded
        # when the namespace holds what it held, only the sizes and the submodule tests the last
        # print rests on can have changed
        objects = _contents(namespace)
        last = self.fingerprinted.get((name, revealed))
        if last is not None and _unchanged(last, objects, name, namespace):
            return last.print_
        items = []
        guarded = self.guarded.get(name) if revealed else None
        for key, value in list(namespace.items()):
            if guarded is not None and key == "__getattr__" and value is guarded[2]:
                if guarded[1] is None:
                    continue
                value = guarded[1]
            kind = type(value)  # never ``isinstance``: a lazy object would run code to answer
            if key == "__warningregistry__" or (
                issubclass(kind, type(sys)) and value is sys.modules.get(f"{name}.{key}")
            ):
                continue  # the warnings machinery's bookkeeping; a submodule's attribute
            size = len(value) if kind in _CONTAINERS else -1
            items.append((key, id(value), size))
        classes = _classes(name, namespace)
        watched = _watched(inner for _, inner in classes)
        states = _states(watched)
        containers = _class_items(classes, items)
        snapshot = _Snapshot(objects, *_dependent(name, namespace), states)
        print_ = frozenset(items)
        self.fingerprinted[name, revealed] = _Print(
            snapshot,
            print_,
            tuple(inner for _, inner in classes),
            watched,
            containers,
            tuple(map(len, containers)),
        )
        return print_

    def loaded(self, names: Iterable[str]) -> None:
        """Note the namespace of each module of ``names`` whose import just finished (one loaded
        earlier keeps the print it had)."""
        if not self.watching:
            return
        for name in names:
            module = sys.modules.get(name)
            spec = getattr(module, "__spec__", None)
            finished = module is not None and not getattr(spec, "_initializing", False)
            if finished and name not in self.prints and self.project(name):
                self.prints[name] = self.fingerprint(name) or frozenset()
                self.sizes[name] = _containers(module)
                self.held[name] = _Holdings.of(name, module, self, first=True)
                self.note_author(name)

    def note_author(self, name: str) -> None:
        """Note ``name`` as an author of the modules it imported whose containers grew or shrank
        while it ran (a module fills a registry it imported by name, as a decorator or a
        ``register`` call at import does). Cheap, and a guess: the write is pinned on the module
        that asked for the registry, not on the top import that ran it."""
        for target in self.asked.get(name, ()):
            sizes = self.sizes.get(target)
            if sizes and any(len(container) != size for container, size in sizes):
                self.authors.setdefault(target, set()).add(name)
                self.sizes[target] = [(container, len(container)) for container, _ in sizes]

    def note_writes(self, top: str, closure: set[str]) -> None:
        """Which modules of ``top``'s closure had their namespace changed since their own import
        finished (or since the last check): ``top``'s import changed them."""
        for name in closure:
            if not self.project(name):
                continue
            now = self.fingerprint(name, revealed=True)
            if name in self.prints and now is not self.prints[name] and now != self.prints[name]:
                self.writers.setdefault(name, set()).add(top)
            if now is not None:
                self.prints[name] = now
            self._note_held(top, name)

    def _note_held(self, top: str, name: str) -> None:
        """Whether ``top``'s import may have changed the objects module ``name`` holds
        (``_Holdings``): it did when what they hold changed, and may have whenever they are
        too many to watch."""
        module = sys.modules.get(name)
        if module is None:
            return
        held = self.held.get(name)
        if held is None:
            self.held[name] = _Holdings.of(name, module, self)
        elif not held.complete:
            self.writers.setdefault(name, set()).add(top)
        elif not held.same():
            self.writers.setdefault(name, set()).add(top)
            self.held[name] = _Holdings.of(name, module, self)

    def entry(self, cycle: tuple[str, ...]) -> str | None:
        """The module by which this process entered ``cycle``, when it entered it once: every
        other module of it that was loaded was loaded while that one was being imported (kept
        until ``find_cycles`` runs again: asked of every module for every cycle it reaches)."""
        if cycle in self.entries:
            return self.entries[cycle]
        loaded = self.loaded_in(cycle)
        first = loaded[0] if loaded else None
        if first is not None and not all(first in self.inside.get(m, ()) for m in loaded[1:]):
            first = None
        self.entries[cycle] = first
        return first

    def loaded_in(self, cycle: tuple[str, ...]) -> list[str]:
        """The modules of ``cycle`` this process looked up to load, in the order it did."""
        return sorted((m for m in cycle if m in self.loads), key=self.loads.__getitem__)

    def reentered(self, cycle: tuple[str, ...], by: str | None) -> bool:
        """Whether this process entered ``cycle`` by ``by`` and yet more than once (a module of
        it failed half-way, and another import loaded it again): entering it by ``by`` again
        does the same."""
        loaded = self.loaded_in(cycle)
        return bool(loaded) and loaded[0] == by and self.entry(cycle) is None

    def first_reached(
        self, module: str, cycle: frozenset[str], order: dict[str, int] | None = None
    ) -> str | None:
        """The module of ``cycle`` a fresh import of ``module`` reaches first (``reach_order``,
        given or not)."""
        order = self.reach_order(module) if order is None else order
        reached = [name for name in cycle if name in order]
        return min(reached, key=order.__getitem__) if reached else None

    def reach_order(self, module: str) -> dict[str, int]:
        """The modules a fresh import of ``module`` reaches, in the order it reaches them: its
        packages, then what its import asked for here, each followed by what that one's import
        asked for, in the order they asked (depth first). One walk serves every cycle: the
        first module of a cycle the walk reaches is the one a walk that stopped there found."""
        order: dict[str, int] = {}
        todo = [module, *reversed(_parents(module))]
        while todo:
            name = todo.pop()
            if name in order:
                continue
            order[name] = len(order)
            todo.extend(reversed(self.asked.get(name, {})))
        return order

    def graph(self) -> dict[str, set[str]]:
        """The import graph's edges and those of the imports this process saw run."""
        graph: dict[str, set[str]] = {}
        for module, targets in (*self.edges.items(), *self.asked.items()):
            graph.setdefault(module, set()).update(t for t in targets if t != module)
        return graph

    def find_cycles(self, among: Collection[str] | None = None) -> None:
        """The cycles of the import graph's edges and of the imports this process saw run; with
        ``among``, only those holding a module of it (found in what those modules lead to: a
        cycle holding one of them lies there whole)."""
        graph: dict[str, set[str]] = {}
        if among is None:
            graph = self.graph()
        else:
            frontier = set(among)
            while frontier:
                following: set[str] = set()
                for module in frontier:
                    targets = {*self.edges.get(module, ()), *self.asked.get(module, ())}
                    targets.discard(module)
                    graph[module] = targets
                    following |= targets
                frontier = following - graph.keys()
        self.cycles = _cycles(graph)
        self.entries = {}

    def trusted(self, module: str, data: Record, closure: set[str]) -> bool:
        """Whether ``module``'s record is its fresh one, as far as its import's time can tell
        (``settled`` tells the rest once every import has run)."""
        if data["deprecations"] or data["bad_names"]:
            return False  # a fresh import's record holds what its packages' imports issued
        allowed = closure | {module}
        for name in closure:
            if name in self.tainted:
                return False
            if not self.writers.get(name, set()) <= allowed:
                return False
        return True

    def settled(self, module: str, closure: set[str]) -> bool:
        """Whether every import cycle ``module``'s import runs into is entered here as a fresh
        import of it enters it: this process entered it once, by the module that import reaches
        first (a package always runs before its modules: a cycle inside a package its
        ``__init__`` enters is entered the same way by every import)."""
        order: dict[str, int] | None = None
        for cycle in self.cycles:
            if closure.isdisjoint(cycle):
                continue
            entry = self.entry(cycle)
            if entry is None:
                return False
            order = self.reach_order(module) if order is None else order
            if entry != self.first_reached(module, frozenset(cycle), order):
                return False
        return True


class _Snapshot(NamedTuple):
    """What a fingerprint is computed from, beside the objects (keys and identities): the size
    of each container and whether each module value is the submodule of that name."""

    objects: object  # ``_contents`` of the namespace
    sizes: tuple[tuple[str, int], ...]
    submodules: tuple[tuple[str, bool], ...]
    classes: tuple[object, ...]  # ``_states`` of the namespaces of ``_classes``


class _Print(NamedTuple):
    """A module's fingerprint, what it was computed from, and what tells whether it still holds:
    the namespaces of its classes (kept alive for ``watched``, what ``_states`` reads of them)
    and the containers they hold, with their sizes."""

    snapshot: _Snapshot
    print_: frozenset[tuple[str, int, int]]
    classes: tuple[dict[str, Any], ...]
    watched: tuple[Any, ...]
    containers: tuple[Any, ...]
    sizes: tuple[int, ...]


# a class's own namespace, read by C code: a metaclass's ``__getattribute__`` never runs
_CLASS_DICT = type.__dict__["__dict__"]
_MRO = type.__dict__["__mro__"]
_QUALNAME = type.__dict__["__qualname__"]
# values that hold no state another import could change, and what is watched elsewhere or not
# at all (a module: its own namespace is; a C object's inner state is not)
_ATOMS = frozenset(
    {
        int, float, complex, str, bytes, bool, type(None), type(Ellipsis), range, type(sys),
        type(_parents.__wrapped__.__code__),
    }
)  # fmt: skip
# what the import system keeps in a module's namespace (its spec's ``_initializing``, the
# builtins' ``__import__`` hook): the same in a fresh import, and changed by any import
_IMPORT_STATE = frozenset({"__builtins__", "__spec__", "__loader__"})
_FUNCTION = type(_parents.__wrapped__)
_METHOD = type(_SharedPass.project.__get__(object()))
# how many objects one module's holdings walk looks at before it gives up watching them (then
# every import whose closure holds the module counts as changing them)
HOLDINGS_LIMIT = 20_000


class _Holdings:
    """The objects a module holds and what can change in them without its namespace changing:
    the dicts, lists, sets and deques reached from its namespace, the attribute dicts and slots
    of the instances, and the namespaces, defaults and closure cells of the classes and
    functions not watched in another module (those whose ``__module__`` names this one, or one
    that does not hold them by their ``__qualname__``: a factory's product), each followed to
    what it holds in turn. A registry's inner dict, a signal's receivers, a class made by
    another module's factory, a list in a dict, a dict value replaced at the same size: each
    is a change here. Read by C code only (no ``__getattr__``, property or metaclass runs);
    a C object's own inner state (an ``lru_cache``, an iterator) is not read."""

    __slots__ = ("complete", "project", "sequences", "snapshots", "versions", "views")

    def __init__(self) -> None:
        self.views: list[Any] = []  # the version tags of the dicts (CPython 3.11-3.13)
        self.versions: tuple[int, ...] = ()
        self.sequences: list[tuple[Callable[[Any], tuple[Any, ...]], Any]] = []
        self.snapshots: tuple[tuple[Any, ...], ...] = ()
        self.complete = True
        self.project: Callable[[str], bool] = bool  # whether a module is the project's

    @classmethod
    def of(cls, name: str, module: Any, shared: _SharedPass, first: bool = False) -> _Holdings:
        """What module ``name`` holds, but the objects another module held first (``owners``
        of ``shared``; at its first look, ``first``, the module owns what no other one held)."""
        held, owners = cls(), shared.owners
        held.project = shared.project
        todo = [
            value
            for key, value in list(vars(module).items())
            if type(value) not in _ATOMS and key not in _IMPORT_STATE
        ]
        if first:
            for value in todo:
                owners.setdefault(id(value), (name, value))
        try:
            held._walk(name, todo, owners)
            held.versions = tuple(map(_VALUE, held.views))
            held.snapshots = tuple(read(item) for read, item in held.sequences)
        except Exception:  # an object no C reader knows: counts as too much to watch
            held.complete = False
        return held

    def _walk(self, name: str, todo: list[Any], owners: dict[int, tuple[str, Any]]) -> None:
        seen: set[int] = set()
        while todo:
            if len(seen) >= HOLDINGS_LIMIT:
                self.complete = False
                return
            value = todo.pop()
            key = id(value)
            if key in seen or owners.get(key, (name,))[0] != name:
                continue
            seen.add(key)
            todo.extend(self._follow(name, value))

    def same(self) -> bool:
        """Whether every object watched holds what it held when ``of`` looked."""
        return tuple(map(_VALUE, self.views)) == self.versions and all(
            _same_items(read(item), snapshot)
            for (read, item), snapshot in zip(self.sequences, self.snapshots, strict=True)
        )

    def _watch(self, value: Any, read: Callable[[Any], tuple[Any, ...]]) -> None:
        if _VIEW is not None and read is _dict_items:
            self.views.append(_VIEW(value))
        else:
            self.sequences.append((read, value))

    def _follow(self, name: str, value: Any) -> Iterable[Any]:
        """Watch ``value``; what it holds, to look at next."""
        kind = type(value)
        if kind in _ATOMS or issubclass(kind, type(sys)):
            return ()
        if issubclass(kind, type):
            inner = _class_namespace(value) if _away(name, value) else None
            if inner is None:
                return ()
            self._watch(inner, _dict_items)
            return _dict_items(inner)
        if issubclass(kind, dict):
            self._watch(value, _dict_items)
            return _dict_items(value)
        if issubclass(kind, tuple):  # what it holds cannot change: only followed
            return tuple.__getitem__(value, slice(None))
        if issubclass(kind, frozenset):
            return tuple(frozenset.copy(value))
        for base, read in _SEQUENCES:
            if issubclass(kind, base):
                self._watch(value, read)
                return read(value)
        if kind is _FUNCTION:
            return self._function(name, value)
        if kind is _METHOD:
            return (value.__self__, value.__func__)
        if kind is _BUILTIN:  # ``register = _items.append`` holds the list
            return (value.__self__,)
        return self._instance(value)

    def _function(self, name: str, function: Any) -> Iterable[Any]:
        if not _away(name, function):
            return ()
        self._watch(function, _function_parts)
        held = list(_function_parts(function))
        for cell in function.__closure__ or ():
            self._watch(cell, _cell_contents)
            held.extend(_cell_contents(cell))
        return held

    def _instance(self, value: Any) -> Iterable[Any]:
        """The attribute dict and the slots of an instance of a project class, by their C
        descriptors (a ``__dict__`` of another kind: watched as too much to watch)."""
        kind = type(value)
        owner = _CLASS_DICT.__get__(kind).get("__module__")
        if type(owner) is not str or not self.project(owner):
            return ()  # another library's object (a logger): its state is its own
        attributes, slots = _layout(kind) if type(kind) is type else _find_layout(kind)
        found: list[Any] = []
        if attributes is not None:
            if type(attributes) is not _GETSET:
                self.complete = False
                return ()
            inner = attributes.__get__(value, kind)
            if type(inner) is not dict:
                return ()
            self._watch(inner, _dict_items)
            found.extend(_dict_items(inner))
        if slots:
            read = functools.partial(_slot_values, tuple(slots))
            self._watch(value, read)
            found.extend(read(value))
        return found


def _find_layout(kind: type) -> tuple[Any, tuple[Any, ...]]:
    """Where instances of ``kind`` keep their attributes: the ``__dict__`` descriptor nearest
    in its MRO (None: no dict), and its slots' member descriptors."""
    slots: list[Any] = []
    attributes = None
    for klass in _MRO.__get__(kind):
        heap = _FLAGS.__get__(klass) & _HEAP_TYPE  # a C type's members are its inner state
        for key, member in _CLASS_DICT.__get__(klass).items():
            if type(member) is _MEMBER and heap and not key.startswith("__"):
                slots.append(member)
            elif key == "__dict__" and attributes is None:
                attributes = member
    return attributes, tuple(slots)


# by plain classes only: a metaclass may define how its classes hash
_layout: Callable[[type], tuple[Any, tuple[Any, ...]]] = functools.cache(_find_layout)
_UNSET = object()  # an empty slot or closure cell
_FLAGS = type.__dict__["__flags__"]
_HEAP_TYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE: a class made by a class statement or ``type()``
_BUILTIN = type(len)


def _function_parts(function: Any) -> tuple[Any, ...]:
    return (function.__defaults__, function.__kwdefaults__, function.__dict__, function.__code__)
_MEMBER = type(_Holdings.__dict__["complete"])
_GETSET = type(type.__dict__["__dict__"])


def _dict_items(namespace: dict[Any, Any]) -> tuple[Any, ...]:
    return (*dict.keys(namespace), *dict.values(namespace))


def _slot_values(slots: tuple[Any, ...], value: Any) -> tuple[Any, ...]:
    return tuple(_slot(member, value) for member in slots)


def _slot(member: Any, value: Any) -> Any:
    try:
        return member.__get__(value, type(value))
    except AttributeError:
        return _UNSET


def _cell_contents(cell: Any) -> tuple[Any, ...]:
    try:
        return (cell.cell_contents,)
    except ValueError:
        return (_UNSET,)


# what a sequence holds, read by C code whatever its subclass overrides
_SEQUENCES: tuple[tuple[type, Callable[[Any], tuple[Any, ...]]], ...] = (
    (list, lambda value: tuple(list.copy(value))),
    (set, lambda value: tuple(set.copy(value))),
    (collections.deque, lambda value: tuple(collections.deque.__iter__(value))),
)


def _same_items(items: tuple[Any, ...], other: tuple[Any, ...]) -> bool:
    return len(items) == len(other) and all(map(operator.is_, items, other))


def _away(name: str, value: Any) -> bool:
    """Whether the class or function ``value`` found in module ``name`` is watched here: its
    ``__module__`` names this module, or a module that does not hold it by its ``__qualname__``
    (made by a factory there); elsewhere any import that reads it has its module in its closure."""
    if issubclass(type(value), type):
        owner = _CLASS_DICT.__get__(value).get("__module__")
        path = _QUALNAME.__get__(value)
    else:
        owner, path = value.__module__, value.__qualname__
    if type(owner) is not str or owner == name:
        return True
    home = sys.modules.get(owner)
    if home is None:
        return True
    found: Any = vars(home)
    namespace: dict[Any, Any] | None
    for part in str(path).split("."):
        if type(found) is dict:
            namespace = found
        elif issubclass(type(found), type):
            namespace = _class_namespace(found)
        else:
            return True  # ``f.<locals>.g``: made by a call
        if namespace is None or part not in namespace:
            return True
        found = namespace[part]
    return found is not value


def _class_namespace(cls: type, module: str | None = None) -> dict[str, Any] | None:
    """The dict behind ``cls.__dict__``, the one its attributes are set in (None when its
    ``__module__`` is not ``module``, if given: most classes a namespace holds are another
    module's, and their proxy answers that cheaply)."""
    proxy = _CLASS_DICT.__get__(cls)
    if module is not None:
        owner = proxy.get("__module__")
        if type(owner) is not str or owner != module:
            return None
    inner = gc.get_referents(proxy)
    return inner[0] if len(inner) == 1 and type(inner[0]) is dict else None


def _classes(name: str, namespace: dict[str, Any]) -> tuple[tuple[str, dict[str, Any]], ...]:
    """The namespaces of the classes module ``name`` defined that it holds, and of the classes
    they define in turn, each by its path from the module. Each class is watched in its own
    module only: any import that reads it has that module in its closure."""
    found: list[tuple[str, dict[str, Any]]] = []
    seen: set[int] = set()
    todo = list(namespace.items())
    while todo:
        path, value = todo.pop()
        if not issubclass(type(value), type) or id(value) in seen:
            continue
        seen.add(id(value))
        inner = _class_namespace(value, name)
        if inner is None:
            continue
        found.append((path, inner))
        todo.extend((f"{path}.{key}", item) for key, item in inner.items())
    return tuple(found)


def _class_items(
    classes: Iterable[tuple[str, dict[str, Any]]], items: list[tuple[str, int, int]]
) -> tuple[Any, ...]:
    """Add to ``items`` (path, id, size of a container) of each attribute of ``classes``, as a
    module's own are; returns the containers among them."""
    containers = []
    for path, inner in classes:
        for key, value in list(inner.items()):
            size = -1
            if type(value) in _CONTAINERS:
                containers.append(value)
                size = len(value)
            items.append((f"{path}.{key}", id(value), size))
    return tuple(containers)


def _dependent(
    name: str, namespace: dict[str, Any], last: _Snapshot | None = None
) -> tuple[tuple[tuple[str, int], ...], tuple[tuple[str, bool], ...]]:
    """The sizes and submodule tests of ``namespace`` (only of the keys ``last`` has them for:
    the same objects under the same keys)."""
    if last is not None:
        sizes = tuple((key, len(namespace[key])) for key, _ in last.sizes)
        keys: Iterable[str] = (key for key, _ in last.submodules)
    else:
        sizes = tuple(
            (key, len(value)) for key, value in namespace.items() if type(value) in _CONTAINERS
        )
        keys = [key for key, value in namespace.items() if issubclass(type(value), type(sys))]
    submodules = tuple((key, namespace[key] is sys.modules.get(f"{name}.{key}")) for key in keys)
    return sizes, submodules


def _version_viewer() -> Callable[[dict[str, Any]], Any] | None:
    """A view of CPython's dict version tag (PEP 509, in ``PyDictObject`` after the header and
    ``ma_used``; read by ``.value``), which every change of a dict renews: where it is there and
    proves to behave so here; None elsewhere. A view reads the dict's memory: whoever keeps one
    keeps the dict alive."""
    if sys.implementation.name != "cpython" or not (3, 11) <= sys.version_info[:2] <= (3, 13):
        return None
    try:
        import ctypes
    except ImportError:
        return None
    offset = object.__basicsize__ + ctypes.sizeof(ctypes.c_ssize_t)

    def view(namespace: dict[str, Any]) -> Any:
        return ctypes.c_uint64.from_address(id(namespace) + offset)

    probe: dict[str, Any] = {"a": 1}
    tag = view(probe)
    seen = [tag.value]
    for change in (lambda: probe.__setitem__("a", []), lambda: probe.pop("a")):
        change()
        seen.append(tag.value)
    untouched = tag.value == seen[-1] and len(set(seen)) == len(seen)
    return view if untouched else None


_VIEW = _version_viewer()
_VALUE = operator.attrgetter("value")


def _version(namespace: dict[str, Any]) -> int:
    assert _VIEW is not None
    return int(_VIEW(namespace).value)


def _watched(namespaces: Iterable[dict[str, Any]]) -> tuple[Any, ...]:
    """What ``_states`` reads of ``namespaces``: a view of each one's version tag where CPython
    keeps one (reading it is all a check costs: sympy's pass checks thousands of classes after
    each of its 1,516 imports), else the namespaces."""
    return tuple(map(_VIEW, namespaces)) if _VIEW is not None else tuple(namespaces)


def _states(watched: tuple[Any, ...]) -> tuple[object, ...]:
    """What identifies what each namespace of ``_watched`` holds."""
    return tuple(map(_VALUE if _VIEW is not None else _contents, watched))


def _contents(namespace: dict[str, Any]) -> object:
    """What identifies what ``namespace`` holds: the dict and its version where CPython keeps
    one, else its keys with their values' identities and types (taken by C code)."""
    if _VIEW is not None:
        return (id(namespace), _version(namespace))
    values = namespace.values()
    return (tuple(namespace), tuple(map(id, values)), tuple(map(type, values)))


def _unchanged(last: _Print, objects: object, name: str, namespace: dict[str, Any]) -> bool:
    """Whether ``namespace`` gives the fingerprint ``last`` was taken for: the module's and its
    classes' namespaces hold what they held (then they hold the same classes and containers),
    and the sizes and submodule tests are the same."""
    snapshot = last.snapshot
    return (
        snapshot.objects == objects
        and snapshot.classes == _states(last.watched)
        and last.sizes == tuple(map(len, last.containers))
        and (snapshot.sizes, snapshot.submodules) == _dependent(name, namespace, snapshot)
    )


def _containers(module: Any) -> list[tuple[Any, int]]:
    """The module-level dicts, lists and sets of ``module`` (exactly those types: a lazy object
    would run code to answer) and their sizes."""
    found = [value for value in list(vars(module).values()) if type(value) in _CONTAINERS]
    return [(value, len(value)) for value in found]


def _initializing(name: str) -> bool:
    """Whether the import of module ``name`` is under way (it is in ``sys.modules`` already)."""
    spec = getattr(sys.modules.get(name), "__spec__", None)
    return bool(getattr(spec, "_initializing", False))


def _cycles(graph: dict[str, set[str]]) -> list[tuple[str, ...]]:
    """The strongly connected components of more than one module."""
    return [component for component in components(graph) if len(component) > 1]


def components(graph: dict[str, set[str]]) -> list[tuple[str, ...]]:
    """The strongly connected components of ``graph``, each after every one it leads to
    (Tarjan's, without recursion: import chains run deep)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[tuple[str, ...]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            module, targets = work[-1]
            target = next(targets, None)
            if target is not None:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph.get(target, ())))))
                elif target in on_stack:
                    low[module] = min(low[module], index[target])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[module])
            if low[module] == index[module]:
                component: list[str] = []
                while component[-1:] != [module]:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                found.append(tuple(sorted(component)))
    return found


def _process_state() -> tuple[Any, ...]:
    return (
        os.getcwd(),
        _environment(),
        list(sys.path),
        # what builtins holds, compared by identity (``id`` is an audited event: slow)
        (tuple(vars(builtins)), tuple(vars(builtins).values())),
    )


def _environment() -> tuple[Any, dict[Any, Any], bool]:
    """``os.environ``, a copy of what it holds, and whether that copy is encoded: a copy of the
    encoded dict it keeps (``_data``, copied by C code; encoding is one to one, so the copies
    differ when the variables do) when it is the standard mapping, else of the variables.
    Taking ``dict(os.environ)`` decoded every variable twice per import: a fifth of the pass's
    time on a tree of tiny modules."""
    environ = os.environ
    data = vars(environ).get("_data") if type(environ) is os._Environ else None
    if type(data) is dict:
        return environ, dict(data), True
    return environ, dict(environ), False


def _same_state(state: tuple[Any, ...], other: tuple[Any, ...]) -> bool:
    """Whether two ``_process_state`` are alike (builtins' values by identity: an ``==`` could
    run code)."""
    (names, values), (other_names, other_values) = state[3], other[3]
    (environ, variables, _), (other_environ, other_variables, _) = state[1], other[1]
    return (
        state[0] == other[0]
        and environ is other_environ
        and variables == other_variables
        and state[2] == other[2]
        and names == other_names
        and all(map(operator.is_, values, other_values))
    )


def _restore(state: tuple[Any, ...]) -> None:
    cwd, (environ, variables, encoded), path, _ = state
    os.chdir(cwd)
    os.environ = environ  # noqa: B003 -- the mapping itself back, if an import replaced it
    if encoded:
        variables = {environ.decodekey(k): environ.decodevalue(v) for k, v in variables.items()}
    environ.clear()
    environ.update(variables)
    sys.path[:] = path


def _module_of(path: str, src_dir: str) -> str | None:
    relative = os.path.relpath(os.path.realpath(path), src_dir)
    if relative.startswith("..") or not relative.endswith(".py"):
        return None
    name = relative[: -len(".py")].replace(os.sep, ".")
    return name.removesuffix(".__init__")


@contextmanager
def _import_hooks(shared: _SharedPass) -> Iterator[None]:
    """Route ``__import__`` and ``importlib.import_module`` through ``shared`` so it sees what each
    import asks for and loads, including modules already loaded."""
    original_import = builtins.__import__
    original_import_module = importlib.import_module

    def hooked_import(
        name: str,
        globals: dict[str, Any] | None = None,
        locals: Any = None,
        fromlist: Any = (),
        level: int = 0,
    ) -> Any:
        importer = (globals or {}).get("__name__")
        absolute = name
        if level:
            try:
                package = (globals or {}).get("__package__") or ""
                absolute = importlib.util.resolve_name("." * level + name, package)
            except (ImportError, ValueError):
                absolute = ""
        if absolute:
            listed = [f"{absolute}.{item}" for item in fromlist or () if item != "*"]
            shared.asked_for(importer, [*_parents(absolute), absolute, *listed])
        shared.importing.append(absolute)
        try:
            imported = original_import(name, globals, locals, fromlist, level)
        finally:
            shared.importing.pop()
        if absolute:
            shared.loaded([*_parents(absolute), absolute, *listed])
        return imported

    def hooked_import_module(name: str, package: str | None = None) -> Any:
        try:
            absolute = importlib.util.resolve_name(name, package) if name.startswith(".") else name
        except (ImportError, ValueError):
            absolute = ""
        if absolute:
            caller = sys._getframe(1).f_globals.get("__name__")
            shared.asked_for(caller, [*_parents(absolute), absolute])
        shared.importing.append(absolute)
        try:
            imported = original_import_module(name, package)
        finally:
            shared.importing.pop()
        if absolute:
            shared.loaded([*_parents(absolute), absolute])
        return imported

    builtins.__import__ = hooked_import  # type: ignore[assignment]
    importlib.import_module = hooked_import_module
    sys.meta_path.insert(0, shared)
    try:
        yield
    finally:
        builtins.__import__ = original_import
        importlib.import_module = original_import_module


def _import_one(
    shared: _SharedPass,
    module: str,
    names: list[str],
    src_dir: str,
    record: Callable[[str, str, list[str]], Record],
    watch: Any,
    inherit: bool = False,
) -> tuple[Record, set[str], bool]:
    """Import ``module`` in the shared interpreter: its record, the project modules its import
    ran (its closure), and whether nothing it did rules out trusting the record. ``inherit``:
    the changed modules reached before (``watch.reached``) stay reached, as in a forked child."""
    state = _process_state()
    shared.current = set()
    if not inherit:
        watch.reached = set()
    shared.hide()
    shared.asked_for(None, [*_parents(module), module])
    try:
        data = record(module, src_dir, names)
    finally:
        shared.settle()
    if shared.peeked:
        shared.tainted.add(module)
    loaded = shared.added
    own = shared.asked.setdefault(module, {})
    for name in sorted(shared.current - {module}):  # asked by what its import loaded
        own.setdefault(name)
    closure = shared.closure(module) | loaded
    if not _same_state(_process_state(), state):
        shared.tainted.add(module)
        _restore(state)
    for warning in data["deprecations"]:
        issuer = _module_of(str(warning["path"]), src_dir)
        shared.tainted.add(module)
        if issuer is not None and issuer not in shared.known:
            shared.tainted.add(issuer)  # loaded (or failed) in this import
    if shared.watching:
        shared.note_writes(module, closure)
    return data, closure, shared.trusted(module, data, closure)


Done = list[tuple[str, Record, set[str], bool]]  # module, record, closure, trusted

# The pass looks at what it could vouch for after ``FIRST_LOOK`` imports, then after each time
# half as many again (a stretch that did not pay is found before it grows as long as all before
# it; a look's cost is in its stretch's), and goes on only while it pays (``_pays``): else it
# stops there, as a pass given only the modules imported so far ends, and the others are
# imported alone. Any subset is as exact as the whole (the rules hold whatever was imported
# before), so where it stops changes no record, only which path gives it.
FIRST_LOOK = 64
# the share of its imports a pass must vouch for to go on, when what a module imported alone
# costs is not known: on Django the pass costs about a quarter of importing its modules alone;
# on sympy one cycle entered twice leaves it nothing to vouch for after its first hundred modules
MIN_YIELD = 1 / 4


class Stopped(NamedTuple):
    """A pass that stopped early: it imported ``imported`` of ``given`` modules and could vouch
    for ``vouched`` of them at its last look; over the stretch since the look before, it spent
    ``seconds`` of CPU an import and vouched for ``share`` of them, where a module imported
    alone costs ``alone`` seconds of CPU (None: not measured; ``MIN_YIELD`` was the rule)."""

    imported: int
    given: int
    vouched: int
    seconds: float
    share: float
    alone: float | None


class Stretch(NamedTuple):
    """The imports of a pass since its last look: how many, how many of them it could vouch for
    (what it could vouch for in all, less what it could at the last look), their CPU seconds."""

    imported: int
    vouched: int
    seconds: float


def _pays(stretch: Stretch, alone: float | None, jobs: int) -> bool:
    """Whether the pass's last stretch paid for itself, so the next one is likely to: while the
    pass holds one core, the forked path's ``jobs`` cores would have imported a module alone
    each for ``alone`` seconds of CPU (measured in this run), so a pass second costs ``jobs``
    seconds of the forked path's work, and each record vouched for spares ``alone`` of it."""
    if alone is None:
        return stretch.vouched >= stretch.imported * MIN_YIELD
    return stretch.vouched * alone >= stretch.seconds * jobs


def run(
    modules: list[tuple[str, list[str]]],
    edges: dict[str, list[str]],
    src_dir: str,
    record: Callable[[str, str, list[str]], Record],
    watch: Any,
    emit: Callable[[str, Record, bool], None],
    hopeless: Callable[[str], None] | None = None,
    alone: Callable[[], float | None] = lambda: None,
    jobs: int = 1,
    looked: Callable[[Stretch, float | None, bool], None] | None = None,
    split: Callable[[int], int] | None = None,
) -> tuple[list[str], Stopped | None]:
    """Import ``modules`` in the order given (dependencies first), then call ``emit(module,
    record, trusted)`` for each imported (all, unless the pass stopped early: see
    ``FIRST_LOOK``). ``edges``: what each module imports when it is imported, by the import
    graph. ``watch``: smoke_child's ``_ChangeWatch`` (its ``reached`` is reset per module; a
    trusted record reaches the changed modules of its closure too). Returns the modules not
    vouched for that another pass, in a fresh process and in the order returned, may vouch for
    (``retry_order``; none after a pass that stopped early), and how it stopped, if it did.
    ``hopeless(module)`` is called for each module no shared import can vouch for: its record
    or its closure warned, lost a re-export, looked up a hidden submodule or changed process
    state (any import of it runs that again). ``alone()``: the CPU seconds a module imported
    alone costs, asked at the first look (it may wait for the figure), and ``jobs`` the cores
    that path has (``_pays``); ``looked(stretch, alone, going_on)`` hears each look.
    ``split(imported)``, called once, at the first look that goes on, gives where this pass
    ends: the modules after it are left to other passes (any subset is as exact as the whole)."""
    shared = _SharedPass(src_dir, edges)
    done: Done = []
    stopped: Stopped | None = None
    end = len(modules)
    with _import_hooks(shared):
        look, since, last, cpu = FIRST_LOOK, 0, 0, time.process_time()
        for module, names in modules:
            if len(done) == end:
                break
            done.append((module, *_import_one(shared, module, names, src_dir, record, watch)))
            if len(done) == look and look < end:
                vouchable = len(_vouchable(shared, done))
                seconds = time.process_time() - cpu
                stretch = Stretch(len(done) - since, vouchable - last, seconds)
                cost = alone()
                going_on = _pays(stretch, cost, jobs)
                if looked is not None:
                    looked(stretch, cost, going_on)
                if not going_on:
                    per_import = stretch.seconds / stretch.imported
                    share = stretch.vouched / stretch.imported
                    stopped = Stopped(len(done), end, vouchable, per_import, share, cost)
                    break
                if split is not None:
                    end, split = split(len(done)), None
                look, since, last = look + look // 2, len(done), vouchable
                cpu = time.process_time()
    shared.reveal_all()
    vouched = _vouchable(shared, done)
    for module, data, closure, _ in done:
        if module in vouched:
            # the intersection walks the smaller set: the change may hold thousands of modules
            data["reached"] = sorted(set(data["reached"]) | closure.intersection(watch.changed))
        emit(module, data, module in vouched)
        warned = data["deprecations"] or data["bad_names"]
        if hopeless is not None and (warned or not closure.isdisjoint(shared.tainted)):
            hopeless(module)
    return ([] if stopped else retry_order(shared, done, vouched)), stopped


def _vouchable(shared: _SharedPass, done: Done) -> set[str]:
    """The modules of ``done`` whose record is the fresh one, were the pass to end now."""
    shared.find_cycles()
    return {
        module
        for module, _, closure, trusted in done
        if trusted and shared.settled(module, closure)
    }


def retry_order(shared: _SharedPass, done: Done, vouched: set[str]) -> list[str]:
    """The modules this pass did not vouch for that a pass of their own may: not those whose
    record or closure warned or changed process state, nor those that reach a cycle by the
    module this process entered it by and yet entered it twice (no order helps them), only
    those another module's writes or a cycle entered elsewhere ruled out. Any order is as exact
    as any other (every pass applies the same rules); this one gives them their best chance: a
    module whose import reaches a cycle by the module most of them reach it by first, then the
    modules whose closure holds none of the modules that wrote outside their closure here, then
    the rest."""
    candidates = [
        (module, closure)
        for module, data, closure, _ in done
        if module not in vouched
        and not (data["deprecations"] or data["bad_names"])
        and closure.isdisjoint(shared.tainted)
    ]
    writers: set[str] = set()  # the top imports that wrote, and the modules that wrote
    for module, closure in candidates:
        for name in closure:
            foreign = shared.writers.get(name, set()) - closure - {module}
            if foreign:
                writers |= foreign | shared.authors.get(name, set())
    wishes = {module: _wishes(shared, module, closure) for module, closure in candidates}
    candidates = [
        (module, closure)
        for module, closure in candidates
        if not any(shared.reentered(cycle, entry) for cycle, entry in wishes[module].items())
    ]
    tally: dict[tuple[str, ...], dict[str | None, int]] = {}
    for module, _ in candidates:
        for cycle, entry in wishes[module].items():
            counts = tally.setdefault(cycle, {})
            counts[entry] = counts.get(entry, 0) + 1
    chosen = {cycle: max(counts, key=counts.__getitem__) for cycle, counts in tally.items()}

    def rank(item: tuple[int, tuple[str, set[str]]]) -> tuple[bool, bool, int]:
        index, (module, closure) = item
        astray = any(chosen[cycle] != entry for cycle, entry in wishes[module].items())
        return astray, not closure.isdisjoint(writers), index

    return [module for _, (module, _) in sorted(enumerate(candidates), key=rank)]


def _wishes(
    shared: _SharedPass, module: str, closure: set[str]
) -> dict[tuple[str, ...], str | None]:
    """For each import cycle ``module``'s import runs into: the module of it that a fresh import
    of ``module`` reaches first."""
    return {
        cycle: shared.first_reached(module, frozenset(cycle))
        for cycle in shared.cycles
        if not closure.isdisjoint(cycle)
    }
