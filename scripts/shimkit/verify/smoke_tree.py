"""The fork tree by shared closure: the import check's second fast path, for the modules the
one-interpreter pass (``smoke_shared``) did not vouch for. Standard library only; the server's
child loads it by file path, beside ``smoke_shared``.

The pass rules out a record when an import outside the module's closure wrote into it (Django:
every models module bumps ``Field.creation_counter``, every ``@receiver`` adds to a signal). Here
no such import runs before a module: a tree of forked processes in which each process imports
only modules that lie in the static import closure of every module below it (their packages
first, each only after its parents have run, in the order a depth-first walk of a member's
imports reaches them), forks one child per sub-group of its modules that shares more (split on
the module most of them import), and a leaf imports its module. Each process continues the same
``_SharedPass`` state (hidden submodule attributes, what each import asked for, cycles, process
state, warnings), so a leaf's record is vouched for on the pass's own rules, and only when every
project module loaded before its import (by its ancestors) is in the closure its import actually
asked for (a static edge under ``if`` or ``try`` may not run): then every import that ran in its
process before it is one a fresh import of it runs too, and the foreign-write rule has nothing
to look at (which is why the writes are not watched here). A process imports a shared module
only when it imported cleanly (no failure, warning, process-state change or hidden submodule
looked up: else the process gives its modules back, unreported) and is on no static import
cycle with a module below it. What a leaf does not vouch for, and every module whose ancestors
would import less than ``LEAF_SHARE`` of its closure, goes to the forked path.
"""

from __future__ import annotations

import collections
import functools
import heapq
import os
import select
import sys
from collections.abc import Callable, Collection, Iterable
from typing import Any

Record = dict[str, Any]

# a module is imported in a leaf only when its ancestors imported at least this share of its
# static closure: else the forked path (a process per package) gives its record at about the
# same cost, and the tree would pay its own bookkeeping on top
LEAF_SHARE = 1 / 2
# a process's sub-group takes the members that import every module at least this share as
# shared as the most shared one (``_split``)
SPLIT_SHARE = 0.9
# the exit status of a process of the tree that gave up (an import it shared was not clean)
GAVE_UP = 3
SPLIT_NAMES = 32  # of the most shared modules at most (each member is tested for all)


class _Static:
    """The static graph's facts the tree is planned on: each module's import-time closure (its
    packages, what it imports when imported, transitively), its cycle, and who imports it."""

    def __init__(self, edges: dict[str, list[str]], modules: Iterable[str], shared: Any) -> None:
        graph: dict[str, set[str]] = {}
        for module in {*edges, *modules, *(t for targets in edges.values() for t in targets)}:
            graph[module] = {*edges.get(module, ()), *shared._parents(module)} - {module}
        self.graph = graph
        self.importers = _importers(graph)
        self.closure: dict[str, frozenset[str]] = {}
        self.component: dict[str, tuple[str, ...]] = {}
        for component in shared.components(graph):  # each after those it leads to
            reached = set(component)
            for module in component:
                for target in graph.get(module, ()):
                    if target not in reached:
                        reached |= self.closure.get(target, {target})
            frozen = frozenset(reached)
            for module in component:
                self.closure[module] = frozen
                self.component[module] = component

    def importing(self, blocked: Iterable[str]) -> set[str]:
        """``blocked`` and every module whose import reaches one of them."""
        return _upward(blocked, self.importers)

    def walk(self, module: str) -> list[str]:
        """The modules a fresh import of ``module`` reaches, by the static graph, in the order a
        depth-first walk reaches them (a module's packages first, then what it imports)."""
        seen: set[str] = set()
        order: list[str] = []
        todo = [module]
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            order.append(name)
            parts = name.split(".")
            packages = [".".join(parts[:end]) for end in range(1, len(parts))]
            todo.extend(reversed([*packages, *sorted(self.graph.get(name, ()))]))
        return order


def _importers(graph: dict[str, Any]) -> dict[str, set[str]]:
    """Who imports each module, by ``graph`` (module -> what it imports)."""
    importers: dict[str, set[str]] = collections.defaultdict(set)
    for module, targets in graph.items():
        for target in targets:
            importers[target].add(module)
    return importers


def _upward(starts: Iterable[str], *importers: dict[str, set[str]]) -> set[str]:
    """``starts`` and every module that leads to one of them, by the ``importers`` maps."""
    found = set(starts)
    frontier = set(found)
    while frontier:
        following: set[str] = set()
        for name in frontier:
            for known in importers:
                following.update(known.get(name, ()))
        frontier = following - found
        found |= frontier
    return found


class _Forks:
    """The processes of the tree: ``jobs`` of them import at a time (a pipe of tokens, as
    make's jobserver); their records go up one pipe, a line at a time under a lock (a pipe
    holding one byte). A process that gave up (exit status ``GAVE_UP``) names the modules that
    made it give up in a file they all share (Linux: ``memfd_create``), for the others to
    import no more."""

    def __init__(self, jobs: int, prctl: Any, write_fd: int) -> None:
        self.prctl = prctl
        self.write_fd = write_fd
        self.tokens = os.pipe()
        os.set_blocking(self.tokens[0], False)
        os.write(self.tokens[1], b"x" * jobs)
        self.lock = os.pipe()
        os.write(self.lock[1], b"x")
        self.children: dict[int, list[str]] = {}  # pid -> its members
        self.gave_up: list[list[str]] = []  # the members of children that gave up
        self.holding = False  # whether this process holds a token
        memfd = getattr(os, "memfd_create", None)
        self.failures = None if memfd is None else memfd("shimkit-tree")

    def spawn(self, work: Callable[[], bool], members: list[str]) -> None:
        self._take()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            status = 1
            try:
                self.children, self.gave_up, self.holding = {}, [], True
                if self.prctl is not None:  # the kernel kills it when its parent dies
                    self.prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
                done = work()
                self.wait()
                status = 0 if done else GAVE_UP
            finally:
                self.release()
                os._exit(status)
        self.children[pid] = members

    def fail(self, names: Iterable[str]) -> None:
        """Note modules no process is to import for its members."""
        if self.failures is None:
            return
        line = "".join(f"{name}\n" for name in names).encode()
        os.read(self.lock[0], 1)
        try:
            os.pwrite(self.failures, line, os.fstat(self.failures).st_size)
        finally:
            os.write(self.lock[1], b"x")

    def failed(self) -> set[str]:
        if self.failures is None:
            return set()
        data = os.pread(self.failures, os.fstat(self.failures).st_size, 0)
        return set(data.decode().split())

    def release(self) -> None:
        if self.holding:
            self.holding = False
            os.write(self.tokens[1], b"x")

    def send(self, line: bytes) -> None:
        os.read(self.lock[0], 1)
        try:
            while line:
                line = line[os.write(self.write_fd, line) :]
        finally:
            os.write(self.lock[1], b"x")

    def _take(self) -> None:
        while True:
            self._reap(os.WNOHANG)
            ready, _, _ = select.select([self.tokens[0]], [], [], 0.2)
            if ready:
                try:
                    if os.read(self.tokens[0], 1):
                        return
                except BlockingIOError:
                    continue

    def _reap(self, options: int) -> None:
        for pid in list(self.children):
            try:
                done, status = os.waitpid(pid, options)
            except ChildProcessError:
                done, status = pid, 0
            if done:
                members = self.children.pop(pid)
                if os.WIFSIGNALED(status):  # it could not give its token back
                    os.write(self.tokens[1], b"x")
                elif os.WEXITSTATUS(status) == GAVE_UP:
                    self.gave_up.append(members)

    def wait(self) -> list[list[str]]:
        """Wait for every child; the members of those that gave up."""
        self._reap(0)
        gave_up, self.gave_up = self.gave_up, []
        return gave_up


class _Cycles:
    """The import cycles as a node found them (``find_cycles`` over the whole graph), for its
    leaves: a leaf's import adds edges (what its modules asked for), and only an edge whose
    target leads back to a module that gained edges can close a new cycle. When none does, the
    cycles are the node's; else the leaf looks for them again."""

    def __init__(self, shared: Any) -> None:
        shared.find_cycles()
        self.cycles = list(shared.cycles)
        self.cycle_of = {m: index for index, cycle in enumerate(self.cycles) for m in cycle}
        self.sizes = {module: len(asked) for module, asked in shared.asked.items()}
        self.graph = shared.graph()
        self.importers = _importers(self.graph)

    def find(self, shared: Any, closure: set[str]) -> None:
        new = self._new(shared)
        # the modules that lead to one that gained edges
        back = _upward(new, self.importers, _importers(new))
        closing = any(target in back for targets in new.values() for target in targets)
        if closing:
            shared.find_cycles(closure)
        else:
            shared.cycles, shared.entries = self.cycles, {}


    def _new(self, shared: Any) -> dict[str, list[str]]:
        """The edges the imports since the node added that it did not know, but those inside
        one of its cycles (they close none)."""
        sizes, graph, cycle_of = self.sizes, self.graph, self.cycle_of
        new: dict[str, list[str]] = {}
        for module, asked in list(shared.asked.items()):
            if len(asked) == sizes.get(module, 0):
                continue
            known, cycle = graph.get(module, set()), cycle_of.get(module)
            targets = [
                target
                for target in list(asked)[sizes.get(module, 0) :]
                if target != module
                and target not in known
                and (cycle is None or cycle_of.get(target) != cycle)
            ]
            if targets:
                new[module] = targets
        return new


class _Tree:
    def __init__(
        self,
        shared: Any,
        static: _Static,
        forks: _Forks,
        names: dict[str, list[str]],
        bad: Collection[str],
        importer: Callable[[str, list[str]], tuple[Record, set[str], bool]],
        emit: Callable[[str, Record], None],
        changed: Collection[str],
    ) -> None:
        self.shared = shared
        self.static = static
        self.forks = forks
        self.names = names
        self.bad = set(bad)  # modules known to fail, warn or lose a re-export: never shared
        self.importer = importer
        self.emit = emit
        self.changed = set(changed)
        # what this process or an ancestor imported for its members (a failed import leaves
        # nothing in sys.modules: a group split on it again would never end)
        self.tried: set[str] = set()
        self.cycles: _Cycles | None = None  # as the process that forks the leaves found them

    def loaded(self) -> set[str]:
        return {name for name in list(sys.modules) if self.shared.project(name)}

    def node(self, members: list[str], first: bool = False) -> bool:
        """Import what every member's closure holds (but the root: it holds one process's
        imports only), then serve them; False when an import was not clean (this process
        gives up; its parent, which did not import that module, plans its members again)."""
        if not first and not self._share(members, self._remaining(members)):
            return False
        self.forks.release()
        todo = members
        while todo:
            self._serve(todo)
            gave_up = self.forks.wait()
            failed = self.forks.failed() - self.bad
            self.bad |= failed
            todo = [m for group in gave_up for m in group] if failed else []
        return True

    def _serve(self, members: list[str]) -> None:
        """Fork a child per sub-group sharing more, and a leaf per member whose closure this
        process holds enough of; the others are given back."""
        have = self.loaded()
        groups, alone = _split(members, self._remaining(members), self.static)
        for group in groups:
            self.forks.spawn(functools.partial(self.node, group), group)
        leaves = [m for m in alone if _covered(self.static.closure.get(m, frozenset({m})), have)]
        if leaves:
            self.cycles = _Cycles(self.shared)
        for module in leaves:
            self.forks.spawn(functools.partial(self.leaf, module), [])

    def _remaining(self, members: list[str]) -> dict[str, set[str]]:
        """For each member, the modules of its static closure this process may still import
        for it: not loaded, not known bad, not importing a member or a module on a cycle with
        one (that one's import would differ, entered elsewhere)."""
        static = self.static
        blocked = {n for m in members for n in static.component.get(m, (m,))} | self.bad
        unfit = static.importing(blocked) | self.loaded() | self.tried
        return {m: set(static.closure.get(m, ())) - unfit for m in members}

    def _share(self, members: list[str], remaining: dict[str, set[str]]) -> bool:
        """Import what every member's closure holds, in the order a fresh import of the first
        member reaches it; whether each imported cleanly."""
        common = set.intersection(*remaining.values()) if remaining else set()
        for name in self.static.walk(members[0]):
            if name not in common or name in sys.modules:
                continue
            self.tried.add(name)
            data, closure, _ = self.importer(name, [])
            unclean = data["outcome"] != "ok" or data["deprecations"] or data["bad_names"]
            if unclean or not closure.isdisjoint(self.shared.tainted):
                self.forks.fail({name} | (closure & self.shared.tainted))
                return False
        return True

    def leaf(self, module: str) -> bool:
        """Import ``module`` and report its record when the pass's rules vouch for it and every
        project module loaded before it is in the closure its import asked for."""
        shared = self.shared
        if module in sys.modules:
            return True
        before = self.loaded()
        data, closure, trusted = self.importer(module, self.names.get(module, []))
        self.forks.release()
        if not trusted or not before <= closure:
            return True
        assert self.cycles is not None
        self.cycles.find(shared, closure)
        if shared.settled(module, closure):
            data["reached"] = sorted(set(data["reached"]) | (self.changed & closure))
            self.emit(module, data)
        return True


def _covered(closure: frozenset[str], have: set[str]) -> bool:
    """Whether a leaf below a process that imported ``have`` has enough of its ``closure``
    imported (``LEAF_SHARE``)."""
    return len(closure - have) <= LEAF_SHARE * len(closure)


def _split(
    members: list[str], remaining: dict[str, set[str]], static: _Static
) -> tuple[list[list[str]], list[str]]:
    """Sub-groups of ``members``, while a module is shared by two of those left: each of those
    that import every module nearly as shared as the most shared one (``SPLIT_SHARE``), or
    when that is not two of them, of those that import the most shared one (the bigger closure
    first among equals); and the members in none. Taking the nearly as shared modules at once
    keeps a few members that lack one from making a chain of processes, one per module."""
    counts = collections.Counter(name for m in members for name in remaining[m])
    left = dict.fromkeys(members)
    groups: list[list[str]] = []
    while counts:
        top = heapq.nlargest(
            SPLIT_NAMES, counts.items(), key=lambda item: (item[1], len(static.closure[item[0]]))
        )
        name, count = top[0]
        if count < 2:
            break
        shared = {other for other, times in top if times >= SPLIT_SHARE * count}
        group = [m for m in left if remaining[m] >= shared]
        if len(group) < 2:
            group = [m for m in left if name in remaining[m]]
        for member in group:
            del left[member]
            counts.subtract(remaining[member])
        counts = +counts  # drop what no member left imports
        groups.append(group)
    return groups, list(left)


def run(
    shared_module: Any,
    modules: list[tuple[str, list[str]]],
    edges: dict[str, list[str]],
    src_dir: str,
    record: Callable[[str, str, list[str]], Record],
    watch: Any,
    send: Callable[[str, Record], bytes],
    jobs: int,
    prctl: Any,
    write_fd: int,
    bad: Collection[str],
) -> None:
    """Import ``modules`` in a tree of forked processes rooted in this one; each record a leaf
    vouches for is written to ``write_fd`` as ``send(module, record)`` makes it (a line)."""
    shared = shared_module._SharedPass(src_dir, edges)
    shared.watching = False
    static = _Static(edges, [m for m, _ in modules], shared_module)
    forks = _Forks(jobs, prctl, write_fd)

    def importer(module: str, names: list[str]) -> tuple[Record, set[str], bool]:
        done: tuple[Record, set[str], bool]
        done = shared_module._import_one(shared, module, names, src_dir, record, watch, True)
        return done

    tree = _Tree(
        shared,
        static,
        forks,
        dict(modules),
        bad,
        importer,
        lambda module, data: forks.send(send(module, data)),
        watch.changed,
    )
    with shared_module._import_hooks(shared):
        tree.node([m for m, _ in modules], first=True)
        forks.wait()
