"""The one-interpreter import check: the fast path of ``smoke_child.py serve``. Standard library
only; the child loads it by file path, so that nothing of the kit is in ``sys.modules``.

One process imports every module of a check once, in dependency order, and records for each what
a fresh interpreter's import of it records (``record`` of ``smoke_child``). A record is *trusted*
(taken as the fresh one) only when nothing the process shares between modules could have made it
differ from a fresh import; every other module is imported again on its own (forked or fresh), so
the promise stays that of one interpreter per module. A record is not trusted when:

- the import failed, warned (a project ``DeprecationWarning``), or left a re-export None or
  missing: the isolated import gives the exact record (warnings are recorded per import with
  ``catch_warnings(record=True)`` and ``simplefilter("always")``, so no warning registry hides
  one from the next module);
- a module its import ran (its *closure*: every project module its import asked for, even one
  already loaded, with what that one's own import asked for, and its parent packages) warned,
  changed process state (working folder, environment, ``sys.path``, builtins) or sits on an
  import cycle that is not settled (a static cycle of the import graph, the change's new edges
  included: a fresh import could enter it at another module). A cycle is settled when its
  modules were loaded while their common package was being imported: every fresh import of any
  of them runs that package first, which enters the cycle the same way;
- a module of its closure had its namespace changed by an earlier import outside the closure (a
  registry filled in, an attribute set): a fresh import would not see that.

A package's submodules loaded by other modules' imports are hidden from it (the attribute is
removed while a module is imported, and put back when an import asks for that submodule or for a
module whose import asked for it): a module that uses ``pkg.sub`` without importing it fails here
as it fails alone. A failed import leaves nothing behind (Python removes the module and the ones
that failed with it; what they wrote in other modules makes those modules' importers untrusted).
"""

from __future__ import annotations

import builtins
import importlib
import importlib.util
import os
import sys
from collections.abc import Callable, Iterable
from typing import Any

Record = dict[str, Any]
_CONTAINERS = (dict, list, set)


def _parents(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:end]) for end in range(1, len(parts))]


class _SharedPass:
    def __init__(self, src_dir: str, cycles: list[list[str]]) -> None:
        self.src_dir = src_dir
        self.tops = {
            entry.removesuffix(".py") for entry in os.listdir(src_dir) if not entry.startswith(".")
        }
        self.cycle_of = {member: tuple(cycle) for cycle in cycles for member in cycle}
        self.asked: dict[str, set[str]] = {}  # module -> project modules its code asked for
        self.inside: dict[str, frozenset[str]] = {}  # module -> its packages importing then
        self.writers: dict[str, set[str]] = {}  # module -> imports that changed its namespace
        self.prints: dict[
            str, frozenset[tuple[str, int, int]]
        ] = {}  # module -> fingerprint of its namespace
        self.tainted: set[str] = set()  # modules that warned or changed process state
        self.hidden: dict[str, tuple[Any, str, Any]] = {}  # module -> (package, attribute, it)
        self.current: set[str] = set()  # what the import under way asked for

    def project(self, name: str) -> bool:
        return name.split(".", 1)[0] in self.tops

    # -- what each import asks for -----------------------------------------------------------

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> None:
        """First on ``sys.meta_path``: notes which of a module's packages were being imported
        when it was looked up (finds nothing itself)."""
        if self.project(fullname):
            initializing = {
                parent
                for parent in _parents(fullname)
                if getattr(getattr(sys.modules.get(parent), "__spec__", None), "_initializing", 0)
            }
            self.inside[fullname] = frozenset(initializing)

    def asked_for(self, importer: str | None, names: Iterable[str]) -> None:
        wanted = [name for name in names if self.project(name)]
        if importer is not None and self.project(importer):
            self.asked.setdefault(importer, set()).update(wanted)
        self.current.update(wanted)
        for name in wanted:
            self.reveal(name)

    def reveal(self, name: str) -> None:
        """Put back the submodule attributes a fresh import of ``name`` would set."""
        todo = [name]
        seen: set[str] = set()
        while todo:
            module = todo.pop()
            if module in seen:
                continue
            seen.add(module)
            for each in (*_parents(module), module):
                hidden = self.hidden.pop(each, None)
                if hidden is not None:
                    package, attribute, value = hidden
                    setattr(package, attribute, value)
            todo.extend(self.asked.get(module, ()))

    def hide(self) -> None:
        for name, module in list(sys.modules.items()):
            if not self.project(name):
                continue
            package_name, _, attribute = name.rpartition(".")
            package = sys.modules.get(package_name)
            if not package_name or package is None:
                continue
            if package.__dict__.get(attribute) is module:
                delattr(package, attribute)
                self.hidden[name] = (package, attribute, module)

    def reveal_all(self) -> None:
        for package, attribute, value in self.hidden.values():
            setattr(package, attribute, value)
        self.hidden.clear()

    def closure(self, module: str) -> set[str]:
        found: set[str] = set()
        todo = [module]
        while todo:
            name = todo.pop()
            if name in found:
                continue
            found.add(name)
            todo.extend(_parents(name))
            todo.extend(self.asked.get(name, ()))
        return found

    # -- what may differ from a fresh import -------------------------------------------------

    def fingerprint(self, name: str) -> frozenset[tuple[str, int, int]] | None:
        module = sys.modules.get(name)
        if module is None:
            return None
        items = []
        for key, value in list(vars(module).items()):
            if key == "__warningregistry__" or (
                isinstance(value, type(sys)) and value is sys.modules.get(f"{name}.{key}")
            ):
                continue  # the warnings machinery's bookkeeping; a submodule's attribute
            size = len(value) if isinstance(value, _CONTAINERS) else -1
            items.append((key, id(value), size))
        return frozenset(items)

    def loaded(self, names: Iterable[str]) -> None:
        """Note the namespace of each module of ``names`` whose import just finished (one loaded
        earlier keeps the print it had)."""
        for name in names:
            module = sys.modules.get(name)
            spec = getattr(module, "__spec__", None)
            finished = module is not None and not getattr(spec, "_initializing", False)
            if finished and name not in self.prints and self.project(name):
                self.prints[name] = self.fingerprint(name) or frozenset()

    def note_writes(self, top: str, closure: set[str]) -> None:
        """Which modules of ``top``'s closure had their namespace changed since their own import
        finished (or since the last check): ``top``'s import changed them."""
        for name in closure:
            if not self.project(name):
                continue
            now = self.fingerprint(name)
            if name in self.prints and now != self.prints[name]:
                self.writers.setdefault(name, set()).add(top)
            if now is not None:
                self.prints[name] = now

    def unsettled(self, name: str) -> bool:
        cycle = self.cycle_of.get(name)
        if cycle is None:
            return False
        package = _common_package(cycle)
        return not package or (name != package and package not in self.inside.get(name, ()))

    def trusted(self, module: str, data: Record, closure: set[str]) -> bool:
        if data["outcome"] != "ok" or data["deprecations"] or data["bad_names"]:
            return False
        allowed = closure | {module}
        for name in closure:
            if name in self.tainted or self.unsettled(name):
                return False
            if not self.writers.get(name, set()) <= allowed:
                return False
        return True


def _common_package(modules: Iterable[str]) -> str:
    """The deepest package holding every one of ``modules`` ("" when they share none)."""
    paths = [module.split(".") for module in modules]
    common: list[str] = []
    for parts in zip(*paths, strict=False):
        if len(set(parts)) > 1:
            break
        common.append(parts[0])
    return ".".join(common)


def _process_state() -> tuple[Any, ...]:
    return (
        os.getcwd(),
        dict(os.environ),
        list(sys.path),
        {key: id(value) for key, value in vars(builtins).items()},
    )


def _restore(state: tuple[Any, ...]) -> None:
    cwd, environ, path, _ = state
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(environ)
    sys.path[:] = path


def _module_of(path: str, src_dir: str) -> str | None:
    relative = os.path.relpath(os.path.realpath(path), src_dir)
    if relative.startswith("..") or not relative.endswith(".py"):
        return None
    name = relative[: -len(".py")].replace(os.sep, ".")
    return name.removesuffix(".__init__")


def run(
    modules: list[tuple[str, list[str]]],
    cycles: list[list[str]],
    src_dir: str,
    record: Callable[[str, str, list[str]], Record],
    watch: Any,
    emit: Callable[[str, Record, bool], None],
) -> None:
    """Import ``modules`` in the order given (dependencies first), calling ``emit(module,
    record, trusted)`` after each. ``watch``: smoke_child's ``_ChangeWatch`` (its ``reached``
    is reset per module; a trusted record reaches the changed modules of its closure too)."""
    shared = _SharedPass(src_dir, cycles)
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
        imported = original_import(name, globals, locals, fromlist, level)
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
        imported = original_import_module(name, package)
        if absolute:
            shared.loaded([*_parents(absolute), absolute])
        return imported

    builtins.__import__ = hooked_import  # type: ignore[assignment]
    importlib.import_module = hooked_import_module
    sys.meta_path.insert(0, shared)
    try:
        for module, names in modules:
            before = {name for name in sys.modules if shared.project(name)}
            state = _process_state()
            shared.current = set()
            watch.reached = set()
            shared.hide()
            shared.asked_for(None, [*_parents(module), module])
            try:
                data = record(module, src_dir, names)
            finally:
                shared.reveal_all()
            loaded = {name for name in sys.modules if shared.project(name)} - before
            shared.asked.setdefault(module, set()).update(shared.current - {module})
            closure = shared.closure(module) | loaded
            if _process_state() != state:
                shared.tainted.add(module)
                _restore(state)
            for warning in data["deprecations"]:
                issuer = _module_of(str(warning["path"]), src_dir)
                shared.tainted.add(module)
                if issuer in loaded:
                    shared.tainted.add(issuer)
            shared.note_writes(module, closure)
            trusted = shared.trusted(module, data, closure)
            if trusted:
                reached = set(data["reached"]) | (set(watch.changed) & closure)
                data["reached"] = sorted(reached)
            emit(module, data, trusted)
    finally:
        builtins.__import__ = original_import
        importlib.import_module = original_import_module
