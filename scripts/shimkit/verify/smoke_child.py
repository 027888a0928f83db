"""What runs in the child interpreters of an import check. Standard library only: it never imports
the kit, so that nothing of the kit is in ``sys.modules`` when a project module is imported.

    python -P smoke_child.py fresh MODULE SRC_DIR NAMES_JSON [CHANGED_JSON [UNDONE_JSON]]
    python -P smoke_child.py serve ROOT SRC_DIR

``fresh`` imports one module and prints its record after a marker line (one interpreter per
module). ``serve`` is the fork server: it reads one request line on stdin (``{"preload": [...],
"modules": [[module, names], ...], "changed": [...], "jobs": n, "timeout": s}``), imports the
preload modules, purges any project module they dragged in, reports ``ready`` (and stops there if
a thread was started), then forks a child per project package, which imports it and forks the
children of the modules below (``jobs`` at a time in all), and writes one ``result`` line per
module (and a ``note`` line for a person when the one-interpreter pass stopped early).
Every line it writes on stdout is a JSON object; everything else it or a module prints goes to
stderr (the server's) or to the child's own stderr pipe. End of input on stdin (the kit died)
kills the children and ends the server.

A record is ``{"outcome": "ok" | "import-error", "message", "path", "line", "deprecations":
[{"message", "path", "line", "category"}], "bad_names": [[name, "None" | "missing"]],
"reached": [the changed modules the import asked for], "undone": null (not watched) | "" (it
did the same with the change undone, ``_Undone``) | why it may not have}``.
"""

from __future__ import annotations

import builtins
import collections
import gc
import importlib
import importlib.machinery
import importlib.util
import json
import marshal
import os
import select
import selectors
import signal
import sys
import threading
import time
import traceback
import warnings
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

MARKER = "@@shimkit-smoke@@"
STDERR_KEPT = 8192  # bytes of a child's stderr kept for its last line

_original_warn = warnings.warn
_log: list[warnings.WarningMessage] | None = None
_issuers: dict[int, tuple[str, int]] = {}


class _ChangeWatch:
    """Notes which of the changed modules this process reached: asked the import system for (a
    finder first on ``sys.meta_path`` that finds nothing), opened or listed the file or package
    folder of (an audit hook), or listed the folder that holds (or held) them outside the import
    system, as a plugin loader does (a deleted module changes that listing). An import that failed
    or warned before reaching any of them ran only code the change left alone, so it did the same
    before the change."""

    changed: ClassVar[frozenset[str]] = frozenset()
    files: ClassVar[dict[str, str]] = {}  # file or package folder -> changed module
    folders: ClassVar[dict[str, list[str]]] = {}  # folder -> the changed modules it holds
    reached: ClassVar[set[str]] = set()
    read: ClassVar[set[str]] = set()  # of those, opened other than by the import system

    @classmethod
    def find_spec(cls, fullname: str, path: object = None, target: object = None) -> None:
        if fullname in cls.changed:
            cls.reached.add(fullname)

    @classmethod
    def audit(cls, event: str, args: tuple[Any, ...]) -> None:
        if event not in ("open", "os.listdir", "os.scandir"):
            return
        if not isinstance(args[0], (str, bytes)):
            return
        path = os.path.abspath(os.fsdecode(args[0]))
        module = cls.files.get(path)
        listed = module is None and event != "open" and path in cls.folders
        if (module is None and not listed) or _by_the_kit():
            return
        if module is not None:
            cls.reached.add(module)
            if not _by_the_import_system():  # its text read: the change is seen as text
                cls.read.add(module)
        elif not _by_the_import_system():
            cls.reached.update(cls.folders[path])

    @classmethod
    def install(cls, changed: list[str], src_dir: str) -> None:
        cls.changed = frozenset(changed)
        cls.reached, cls.read = set(), set()
        files: dict[str, str] = {}
        folders: dict[str, list[str]] = {}
        for module in changed:
            base = os.path.join(src_dir, *module.split("."))
            files.update(
                {base + ".py": module, base: module, os.path.join(base, "__init__.py"): module}
            )
            folders.setdefault(os.path.dirname(base), []).append(module)
        cls.files, cls.folders = files, folders
        sys.meta_path.insert(0, cls)
        if files:
            sys.addaudithook(cls.audit)


_IMPORT_SYSTEM = frozenset({"importlib._bootstrap_external", "_frozen_importlib_external"})


def _by_the_import_system() -> bool:
    """Whether the listing the audit hook sees was made by the import system's path finder (which
    lists a folder to find any module in it, changed or not: asking for a changed one is noted by
    ``_ChangeWatch.find_spec``)."""
    caller = sys._getframe(2)  # 0: this function, 1: the hook, 2: who called os.listdir
    return caller.f_globals.get("__name__") in _IMPORT_SYSTEM


# the namespaces of the kit's own code in this process: this module's, and those of the siblings
# it loads (``_load_sibling``)
_KIT: list[dict[str, Any]] = [globals()]


def _by_the_kit() -> bool:
    """Whether the kit's own code made the call the audit hook sees: ``_Seeking`` reading a file
    to mark it, ``smoke_leads`` reading the opening imports of the modules a process is to fork
    (in the server and the package processes, whose children inherit what the hooks noted). That
    is neither an import reaching the file nor the project reading its text."""
    namespace = sys._getframe(2).f_globals  # 0: this function, 1: the hook, 2: who called open
    return any(namespace is kit for kit in _KIT)


class _Undone:
    """Proves, while an import runs after the change, that with the change undone it would have
    failed the same way, so that a failure after the change that reached a changed module need not
    be imported again before it (``analysis/undone.py`` describes the change).

    Before the change, a changed module ran ``from SHIM import names`` where it now runs ``from
    REAL import names``; nothing else of it differs, line numbers included. When that statement
    runs here, the old one would have: found the shim loaded (the objects it bound then, ``loaded``,
    must be the ones REAL holds now), or loaded it, which imports the shim's parent packages and
    its body's imports (each must be loaded already, or be REAL and its packages, which the new
    statement imports in the same order), takes its names (each must be in its module's namespace
    once REAL is imported), and warns (a warning the filters of the record in force only record).
    So the old statement ran no other project code, in no other order, and bound the same objects.
    What remains different is the shim itself: in ``sys.modules``, as an attribute of its package
    (a guard notes a lookup of it there), its file and its folder's listing (``_ChangeWatch``
    notes them). An import that reached no changed module but these, looked the shim up nowhere
    and read no changed file as text, failed the same way before the change. Code that could find
    the shim by its name (``'pkg.shim' in sys.modules``) is known statically: an import that ran
    any of it proves nothing (``seekers``: the module asked for or loaded; ``_Seeking``: a
    function holding it called). Not watched: code that enumerates the package's namespace, and
    the ``__warningregistry__`` the warning leaves in the module it blames."""

    shims: ClassVar[dict[str, dict[str, Any]]] = {}
    # changed module -> (module, names) of its repointed statements -> the shim they named before
    statements: ClassVar[dict[str, dict[tuple[str, tuple[str, ...]], str]]] = {}
    loaded: ClassVar[dict[str, dict[str, Any]]] = {}  # shim -> the objects its names bound
    guards: ClassVar[dict[str, tuple[Any, Any]]] = {}  # package -> (it, its guard)
    seekers: ClassVar[frozenset[str]] = frozenset()  # modules that could look the shim up by name
    differs: ClassVar[str] = ""  # why the import could have gone otherwise before the change
    active: ClassVar[bool] = False
    expected: ClassVar[bool] = False  # it will watch the imports after the one interpreter
    original: ClassVar[Any] = None

    @classmethod
    def provable(cls, record: dict[str, Any]) -> bool:
        """Whether a record of the one interpreter is better left to the module's own import,
        which may prove that it failed so before the change (the one interpreter cannot): a
        failure that reached a changed module, otherwise imported again before the change."""
        return cls.expected and record.get("outcome") == "import-error" and bool(record["reached"])

    @classmethod
    def install(cls, description: dict[str, Any] | None, src_dir: str) -> None:
        if not description or not description.get("statements"):
            return
        cls.shims = dict(description["shims"])
        cls.statements = {
            str(module): {(str(t), tuple(str(n) for n in names)): str(s) for t, names, s in rows}
            for module, rows in description["statements"].items()
        }
        cls.loaded, cls.guards, cls.differs = {}, {}, ""
        seeking = _Seeking.install(dict(description.get("seeking", {})), src_dir)
        cls.seekers = frozenset(description.get("seekers", ())) | seeking
        sys.meta_path.insert(0, cls)
        cls.original = builtins.__import__
        builtins.__import__ = cls.hooked
        cls.active = True

    @staticmethod
    def hooked(
        name: str, globals: Any = None, locals: Any = None, fromlist: Any = (), level: int = 0
    ) -> Any:
        self, original = _Undone, _Undone.original
        if not fromlist or not isinstance(globals, dict):
            return original(name, globals, locals, fromlist, level)
        table = self.statements.get(globals.get("__name__"))  # type: ignore[arg-type]
        if "*" in fromlist:
            self.star(_absolute(name, globals, level))
        if table is None:
            return original(name, globals, locals, fromlist, level)
        target = _absolute(name, globals, level)
        names = tuple(fromlist)
        shim = table.get((target or "", names))
        if shim is None or target is None:
            return original(name, globals, locals, fromlist, level)
        self.before(shim, target)
        try:
            module = original(name, globals, locals, fromlist, level)
        except BaseException:
            self.differ(f"from {target} import {', '.join(names)} raised (the shim's may not)")
            raise
        self.after(shim, target, names)
        return module

    @classmethod
    def find_spec(cls, fullname: str, path: object = None, target: object = None) -> None:
        """A finder that finds nothing: it notes a module whose code could look the shim up by
        name, asked for (whether it then loads or fails)."""
        if fullname in cls.seekers:
            cls.differ(f"ran {fullname}, which could look a shim up by its name")

    @classmethod
    def differ(cls, why: str) -> None:
        cls.differs = cls.differs or why

    @classmethod
    def star(cls, package: str | None) -> None:
        """A star import takes every public name of a package: the shim's too, before."""
        if package is not None and any(s.rpartition(".")[0] == package for s in cls.loaded):
            cls.differ(f"a star import of {package}, which held the shim before")

    @classmethod
    def before(cls, shim: str, target: str) -> None:
        if cls.differs or shim in cls.loaded:
            return  # loaded: the old statement only took its names
        body = cls.shims[shim]
        parts = shim.split(".")
        parents = [".".join(parts[:end]) for end in range(1, len(parts))]
        for module in [*parents, *body["imports"]]:
            if module not in sys.modules and not (target + ".").startswith(module + "."):
                cls.differ(f"{shim} imports {module}, not yet imported then")
                return
        if body["warns"] and not _recording_only():
            cls.differ(f"the warning filters then could have made {shim}'s warning an error")

    @classmethod
    def after(cls, shim: str, target: str, names: tuple[str, ...]) -> None:
        if cls.differs:
            return
        objects = cls.loaded.get(shim)
        if objects is None:
            objects = {}
            for bound, (module, attribute) in cls.shims[shim]["takes"].items():
                owner = sys.modules.get(module)
                if type(owner) is not _ModuleType or attribute not in vars(owner):
                    cls.differ(f"{shim} takes {attribute} from {module}, not there then")
                    return
                objects[bound] = vars(owner)[attribute]
            cls.loaded[shim] = objects
            cls.guard(shim)
        real = sys.modules.get(target)
        if type(real) is not _ModuleType:
            cls.differ(f"{target} is not a plain module")
            return
        for name in names:
            if vars(real).get(name, cls) is not objects.get(name, real):
                cls.differ(f"{target}.{name} is not the object {shim} bound")
                return

    @classmethod
    def guard(cls, shim: str) -> None:
        """From now on, before the change, the shim was an attribute of its package: note a
        lookup of it there (which fails now)."""
        package_name, _, attribute = shim.rpartition(".")
        if not package_name:
            return
        package = sys.modules.get(package_name)
        if type(package) is not _ModuleType or attribute in vars(package):
            cls.differ(f"{package_name} is not a plain package without {attribute}")
            return
        if package_name in cls.guards:
            return
        previous = vars(package).get("__getattr__")

        def __getattr__(name: str) -> Any:
            if name == attribute:
                cls.differ(f"{shim} was looked up on {package_name}")
            if previous is not None:
                return previous(name)
            raise AttributeError(
                f"module {package_name!r} has no attribute {name!r}", name=name, obj=package
            )

        package.__getattr__ = __getattr__  # type: ignore[method-assign]
        cls.guards[package_name] = (package, __getattr__)

    @classmethod
    def verdict(cls) -> str | None:
        """None: not watched; "": the import did the same with the change undone; else why not."""
        if not cls.active:
            return None
        if cls.differs:
            return cls.differs
        loaded = sorted(cls.seekers & sys.modules.keys())
        if loaded:
            return f"ran {loaded[0]}, which could look a shim up by its name"
        seeking = _Seeking.verdict()
        if seeking:
            return seeking
        if _ChangeWatch.read:
            return f"read {sorted(_ChangeWatch.read)[0]} as text"
        other = sorted(_ChangeWatch.reached - cls.statements.keys())
        if other:
            return f"reached {other[0]}, changed otherwise than by repointed imports"
        for name, (package, guard) in cls.guards.items():
            replaced = vars(package).get("__getattr__") is not guard
            if sys.modules.get(name) is not package or replaced:
                return f"{name} or its __getattr__ was replaced"
        return ""


_ModuleType = type(sys)


class _Mark:
    """What the body of a function that could look a shim up by its name sets first (``ran``):
    that it was called (``_Seeking``)."""

    __slots__ = ("ran", "where")

    def __init__(self, where: str) -> None:
        self.ran = False
        self.where = where


class _Seeking:
    """The functions whose bodies hold the only code of their module that could look a shim up
    by its name (``analysis/undone.py``, ``UndoneSide.seeking``): compiled here with a first
    statement ``MARK.ran = True`` (a ``_Mark`` of ours, put in the code's constants in place of a
    sentinel string: an attribute set, no call, no frame; at the line of the body's first
    statement, after its docstring, so no other line moves), so an import that never called one
    of them ran none of that code. The modules' code is compiled once by the process that
    installs this (the server: its children inherit it) and given to the import system for the
    same bytes at the same path and optimization level; code of those files that runs otherwise
    (a bytecode cache, another loader, ``exec``, a code object compiled, made or replaced), or
    their text read other than by the import system, counts as all of it run. A module that
    cannot be marked so (the functions not found, a compilation that warns) is left to the rule
    for the whole module (``_Undone.seekers``)."""

    paths: ClassVar[dict[str, str]] = {}  # the file, as the import system names it -> module
    real: ClassVar[dict[str, str]] = {}  # the same by real path
    compiled: ClassVar[dict[str, tuple[bytes, Any]]] = {}  # that file -> (its bytes, marked code)
    codes: ClassVar[set[int]] = set()  # the marked code objects (kept alive by ``compiled``)
    names: ClassVar[frozenset[str]] = frozenset()  # the files' base names: the audit's quick test
    marks: ClassVar[list[_Mark]] = []
    unmarked: ClassVar[str] = ""  # why code of a marked file may have run unmarked
    original: ClassVar[Any] = None

    @classmethod
    def install(cls, seeking: dict[str, list[list[int]]], src_dir: str) -> set[str]:
        """Mark the functions; returns the modules that could not be marked."""
        cls.paths, cls.compiled, cls.codes, cls.marks, cls.unmarked = {}, {}, set(), [], ""
        whole = set()
        for module, defs in seeking.items():
            path = _import_path(src_dir, module)
            at = {(int(line), int(column)) for line, column in defs}
            if path is None or not cls.mark(module, path, at):
                whole.add(module)
        if cls.compiled:
            cls.real = {os.path.realpath(path): module for path, module in cls.paths.items()}
            cls.names = frozenset(os.path.basename(path) for path in cls.compiled)
            cls.original = importlib.machinery.SourceFileLoader.source_to_code
            loader: Any = importlib.machinery.SourceFileLoader
            loader.source_to_code = cls.source_to_code
            sys.addaudithook(cls.audit)
        return whole

    @classmethod
    def mark(cls, module: str, path: str, at: set[tuple[int, int]]) -> bool:
        try:
            with open(path, "rb") as file:  # by the kit: ``_ChangeWatch`` does not hear it
                data = file.read()
        except OSError:
            return False
        import ast  # only here: a fresh interpreter has not loaded it

        marks: dict[str, _Mark] = {}

        def marked() -> Any:
            tree = ast.parse(data, path)
            for node in ast.walk(tree):
                if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    continue
                if (node.lineno, node.col_offset) not in at:
                    continue
                sentinel = f"\0shimkit-mark-{os.getpid()}-{len(cls.marks) + len(marks)}"
                marks[sentinel] = _Mark(f"{module}.{node.name} (line {node.lineno})")
                node.body.insert(_first_statement(node.body), _marking(ast, sentinel, node.body))
            return compile(tree, path, "exec", dont_inherit=True)

        code = _quietly(marked)
        if code is None or len(marks) != len(at):
            return False
        code = cls.swap(code, marks)
        cls.compiled[path] = (data, code)
        cls.paths[path] = module
        cls.marks.extend(marks.values())
        return True

    @classmethod
    def swap(cls, code: Any, marks: dict[str, _Mark]) -> Any:
        """``code`` with each sentinel among its constants, at any depth, replaced by its mark."""
        consts = tuple(
            marks.get(c, c)
            if type(c) is str
            else cls.swap(c, marks)
            if type(c) is type(code)
            else c
            for c in code.co_consts
        )
        if any(a is not b for a, b in zip(consts, code.co_consts, strict=True)):
            code = code.replace(co_consts=consts)
        cls.codes.add(id(code))
        return code

    @staticmethod
    def source_to_code(loader: Any, data: Any, path: Any, *, _optimize: int = -1) -> Any:
        cls = _Seeking
        entry = cls.compiled.get(path) if isinstance(path, str) else None
        if entry is not None and entry[0] == data and _optimize == -1:
            return entry[1]
        return cls.original(loader, data, path, _optimize=_optimize)

    @classmethod
    def audit(cls, event: str, args: tuple[Any, ...]) -> None:
        if event == "exec":
            code = args[0]
            filename = getattr(code, "co_filename", None)
            if id(code) in cls.codes or not isinstance(filename, str):
                return
        elif event in ("compile", "code.__new__"):
            filename = args[1]
        elif event == "open" and isinstance(args[0], (str, bytes)):
            filename = os.fsdecode(args[0])  # its text, read as data, could be run under any name
            if _by_the_import_system() or _by_the_kit():
                return
        else:
            return
        if isinstance(filename, str) and os.path.basename(filename) in cls.names:
            module = cls.module_of(filename)
            if module is not None and not cls.unmarked:
                cls.unmarked = f"ran or read {module}'s code unmarked ({event})"

    @classmethod
    def module_of(cls, filename: str) -> str | None:
        module = cls.paths.get(filename)
        return module if module is not None else cls.real.get(os.path.realpath(filename))

    @classmethod
    def verdict(cls) -> str:
        """Why code that could look a shim up by its name may have run ("" if none did)."""
        if cls.unmarked:
            return cls.unmarked
        for path, module in cls.paths.items():
            loaded = sys.modules.get(module)
            if loaded is not None and (
                type(loaded) is not _ModuleType or vars(loaded).get("__file__") != path
            ):  # not the module our code made: its code ran unmarked, or a stand-in's did
                return f"loaded {module} other than from {path}"
        ran = next((mark for mark in cls.marks if mark.ran), None)
        return f"ran {ran.where}, which could look a shim up by its name" if ran else ""


def _first_statement(body: list[Any]) -> int:
    """Where the body's code starts: after its docstring."""
    first = body[0]
    docstring = type(first).__name__ == "Expr" and type(first.value).__name__ == "Constant"
    return 1 if docstring and isinstance(first.value.value, str) and len(body) > 1 else 0


def _marking(ast: Any, sentinel: str, body: list[Any]) -> Any:
    """``SENTINEL.ran = True`` at the place of the body's first statement."""
    place = body[_first_statement(body)]
    target = ast.Attribute(value=ast.Constant(sentinel), attr="ran", ctx=ast.Store())
    statement = ast.Assign(targets=[target], value=ast.Constant(True))
    for node in (statement, target, target.value, statement.value):
        ast.copy_location(node, place)
    return statement


def _import_path(src_dir: str, module: str) -> str | None:
    """The file the import system will load ``module`` from: below the first entry of
    ``sys.path`` that is the source folder (as that entry names it)."""
    entry = next((e for e in sys.path if e and os.path.realpath(e) == src_dir), None)
    if entry is None:
        return None
    base = os.path.join(entry, *module.split("."))
    for path in (os.path.join(base, "__init__.py"), base + ".py"):
        if os.path.isfile(path):
            return path
    return None


def _absolute(name: str, globals: dict[str, Any], level: int) -> str | None:
    if not level:
        return name
    try:  # the import system's own rule, as smoke_shared's hook resolves it
        return importlib.util.resolve_name("." * level + name, globals.get("__package__") or "")
    except (ImportError, ValueError, AttributeError):  # beyond the top, or no usable package
        return None


def _recording_only() -> bool:
    """Whether a warning issued now is only recorded (the filters ``record`` put in force, its
    log, our ``warn``), so that it cannot be an error or run project code."""
    module = sys.modules.get("warnings")
    return (
        module is warnings
        and _log is not None
        and warnings.warn is _warn
        and bool(warnings.filters)
        and warnings.filters[0] == ("always", None, Warning, None, 0)
        and warnings.showwarning is warnings._showwarning_orig  # type: ignore[attr-defined]
        and getattr(warnings._showwarnmsg_impl, "__self__", None) is _log  # type: ignore[attr-defined]
    )


def _warn(
    message: Any, category: Any = None, stacklevel: int = 1, source: Any = None, **kwargs: Any
) -> None:
    """``warnings.warn`` that remembers which file *issued* each warning, whatever its stacklevel
    blames: a project file that merely imports a warning package is not the one to blame."""
    frame = sys._getframe(1)
    before = len(_log) if _log is not None else 0
    try:
        _original_warn(message, category, stacklevel + 1, source, **kwargs)
    finally:
        if _log is not None:
            for index in range(before, len(_log)):
                _issuers[index] = (frame.f_code.co_filename, frame.f_lineno)


def _in_src(path: str, src_dir: str) -> bool:
    try:
        real = os.path.realpath(path)
    except (TypeError, ValueError):
        return False
    return real == src_dir or real.startswith(src_dir + os.sep)


def record(
    module: str,
    src_dir: str,
    names: list[str],
    inherited: list[dict[str, Any]] | None = None,
    load: Callable[[], Any] | None = None,
) -> dict[str, Any]:
    """Import ``module`` (warnings recorded, every one of them) and describe what happened.
    ``inherited``: the deprecations that importing its packages issued in this process before.
    ``load``: what to run instead of ``import module`` (a shared opening statement)."""
    global _log
    _issuers.clear()
    result: dict[str, Any] = {
        "outcome": "ok",
        "message": "",
        "path": None,
        "line": None,
        "deprecations": list(inherited or []),
        "bad_names": [],
        "reached": [],
    }
    imported = None
    with warnings.catch_warnings(record=True) as log:
        _log = log
        warnings.simplefilter("always")
        try:
            imported = importlib.import_module(module) if load is None else load()
        except BaseException as exc:
            # judged before the message is made: that reads the source lines of chained causes
            result["undone"] = _Undone.verdict()
            result["outcome"] = "import-error"
            result["message"] = traceback.format_exception_only(type(exc), exc)[-1].strip()
            where: tuple[str, int | None] | None = None
            for frame, line in traceback.walk_tb(exc.__traceback__):
                if _in_src(frame.f_code.co_filename, src_dir):
                    where = (frame.f_code.co_filename, line)
            if isinstance(exc, SyntaxError) and exc.filename and _in_src(exc.filename, src_dir):
                where = (exc.filename, exc.lineno)
            if where:
                result["path"], result["line"] = where
        recorded = list(log)
        _log = None
    for index, item in enumerate(recorded):
        if not issubclass(item.category, DeprecationWarning):
            continue
        path, line = _issuers.get(index, (item.filename, item.lineno))
        if _in_src(path, src_dir):
            message, category = str(item.message), _qualified(item.category)
            result["deprecations"].append(
                {"message": message, "path": path, "line": line, "category": category}
            )
    if imported is not None:
        for name in names:
            if not hasattr(imported, name):
                result["bad_names"].append([name, "missing"])
            elif getattr(imported, name) is None:
                result["bad_names"].append([name, "None"])
    result["reached"] = sorted(_ChangeWatch.reached)
    result.setdefault("undone", _Undone.verdict())
    return result


def _qualified(category: type) -> str:
    """A warning class by its import path (``DeprecationWarning`` alone for the builtin): the
    category a warning filter matches."""
    if category.__module__ == "builtins":
        return category.__qualname__
    return f"{category.__module__}.{category.__qualname__}"


def fresh(
    module: str, src_dir: str, names_json: str, changed_json: str = "[]", undone_json: str = "null"
) -> None:
    warnings.warn = _warn
    _ChangeWatch.install(json.loads(changed_json), os.path.realpath(src_dir))
    _Undone.install(json.loads(undone_json), os.path.realpath(src_dir))
    result = record(module, os.path.realpath(src_dir), json.loads(names_json))
    sys.stdout.write("\n" + MARKER + json.dumps(result) + "\n")
    sys.stdout.flush()
    os._exit(0)


# -- the code cache ------------------------------------------------------------------------------


class _CodeCache:
    """The code objects of the project's modules, compiled once for the whole check and kept in a
    folder outside the tree (the tree gets no ``__pycache__``: bytecode writing stays off), so
    that the server, its group processes and every child forked from them (each importing what
    its module imports) compile a source file once between them, not once each.

    Only code whose compilation issues no warning at all, whatever the filters, is kept or taken
    from it: it is then the object a fresh interpreter compiles from the same bytes at the same
    path, and compiling it would have shown nothing. A file whose compilation warns (an invalid
    escape sequence) or fails is compiled as a fresh interpreter compiles it, every time."""

    folder: ClassVar[str] = ""
    src_dir: ClassVar[str] = ""
    original: ClassVar[Any] = None
    # free bytes of the folder's file system below which nothing more is kept (0: no limit): in
    # memory, the cache takes no more than its share of the room there
    floor: ClassVar[int] = 0

    @classmethod
    def install(cls, folder: str, src_dir: str, floor: int = 0) -> None:
        cls.folder, cls.src_dir, cls.floor = folder, src_dir, floor
        cls.original = importlib.machinery.SourceFileLoader.source_to_code
        loader: Any = importlib.machinery.SourceFileLoader
        loader.source_to_code = cls.source_to_code

    @staticmethod
    def source_to_code(loader: Any, data: Any, path: Any, *, _optimize: int = -1) -> Any:
        cache = _CodeCache
        if not (isinstance(data, bytes) and isinstance(path, str) and _in_src(path, cache.src_dir)):
            return cache.original(loader, data, path, _optimize=_optimize)
        kept = os.path.join(cache.folder, os.path.relpath(os.path.realpath(path), cache.src_dir))
        code = cache.read(kept, data, path, _optimize)
        if code is None:
            code = cache.compile_quietly(loader, data, path, _optimize)
            if code is None:  # it warns or fails: as a fresh interpreter compiles it
                return cache.original(loader, data, path, _optimize=_optimize)
            cache.write(kept, (data, path, _optimize, code))
        return code

    @staticmethod
    def read(kept: str, data: bytes, path: str, optimize: int) -> Any:
        try:
            with open(kept, "rb") as file:
                # one read, then unmarshalled from memory: ``marshal.load`` on a file calls its
                # ``readinto`` for every object (a memoryview each), ten times the cost
                source, where, level, code = marshal.loads(file.read())
        except (OSError, EOFError, ValueError, TypeError):
            return None
        return code if (source, where, level) == (data, path, optimize) else None

    @staticmethod
    def compile_quietly(loader: Any, data: bytes, path: str, optimize: int) -> Any:
        """The code, or None when compiling it issued any warning or failed."""
        return _quietly(lambda: _CodeCache.original(loader, data, path, _optimize=optimize))

    @staticmethod
    def write(kept: str, entry: tuple[Any, ...]) -> None:
        partial = f"{kept}.{os.getpid()}.partial"
        try:
            if _CodeCache.floor and _free_bytes(_CodeCache.folder) < _CodeCache.floor:
                return  # the cache took its share: a code not kept is compiled again
            os.makedirs(os.path.dirname(kept), exist_ok=True)
            with open(partial, "wb") as file:
                marshal.dump(entry, file)
            os.replace(partial, kept)  # another process may be reading it
        except OSError:
            pass  # a cache that cannot be written is a cache missed


def _free_bytes(folder: str) -> int:
    """As ``system.scratch.free_bytes``, which this script (standard library only) cannot
    import; raises ``OSError``."""
    status = os.statvfs(folder)
    return status.f_bavail * status.f_frsize


def _quietly(make: Callable[[], Any]) -> Any:
    """What ``make`` (a compilation) returns, or None when it issued any warning or failed (a
    fresh compile raises it again, as a fresh interpreter's does). The filters are swapped, not
    mutated: no warning registry is reset (``catch_warnings`` would); no garbage is collected
    meanwhile, so that no finalizer's warning is heard here instead of where it goes."""
    heard: list[Any] = []
    filters, show = warnings.filters, warnings._showwarnmsg  # type: ignore[attr-defined]
    collecting = gc.isenabled()
    gc.disable()
    warnings.filters = [("always", None, Warning, None, 0)]
    warnings._showwarnmsg = heard.append  # type: ignore[attr-defined]
    try:
        made = make()
    except Exception:
        made = None
    finally:
        warnings.filters = filters
        warnings._showwarnmsg = show  # type: ignore[attr-defined]
        if collecting:
            gc.enable()
    return None if heard else made


# -- the fork server -----------------------------------------------------------------------------


def _preload(names: list[str]) -> list[str]:
    """Import what the project's modules import; the names that failed (the children will fail
    on them the same way, in their own process)."""
    failed: list[str] = []
    for name in names:
        if name in sys.modules:
            continue
        parent, _, attr = name.rpartition(".")
        owner = sys.modules.get(parent)
        if owner is not None and not isinstance(getattr(owner, attr, sys), type(sys)):
            continue  # ``from parent import attr`` takes an object, not a submodule
        try:
            importlib.import_module(name)
        except BaseException:  # a preload may fail in any way; the child reports it
            failed.append(name)
    return failed


_PRIMER = "<shimkit-fill-cache>"  # no module has this name: looking it up only lists the folder


def _fill_finder_caches(folders: list[str], package: str = "") -> None:
    """List each import folder once, here, before forking: the path finder keeps the listing
    (``sys.path_importer_cache``), so that the children forked from this process do not list a
    folder of 30,000 modules again each. A child's import then finds what a fresh interpreter's
    would: the finder lists a folder again whenever its modification time changed."""
    name = f"{package}.{_PRIMER}" if package else _PRIMER
    for folder in folders:
        if not isinstance(folder, str):
            continue
        try:
            importlib.machinery.PathFinder.find_spec(name, [folder])
        except Exception:  # a third-party path hook may refuse the name: the child lists it
            continue


def _purge_project(src_dir: str) -> list[str]:
    """Remove project modules a third-party import dragged in: each child imports its own."""
    project = {
        entry.removesuffix(".py") for entry in os.listdir(src_dir) if not entry.startswith(".")
    }
    purged = []
    for name, module in list(sys.modules.items()):
        location = getattr(module, "__file__", None)
        if name.split(".", 1)[0] in project or (location and _in_src(location, src_dir)):
            del sys.modules[name]
            purged.append(name)
    return sorted(purged)


@dataclass
class _Group:
    """The modules under one project package. A fresh ``import pkg.sub.mod`` first imports ``pkg``
    and ``pkg.sub``, so a process that imported them (recording what that did) and then forks
    one child per module below gives each module what a fresh interpreter gives it, at the cost
    of the module alone."""

    package: str | None  # None: the server's top level
    names: list[str] | None = None  # the package's own re-exports to check, when it is listed
    modules: list[tuple[str, list[str]]] = field(default_factory=list)
    groups: dict[str, _Group] = field(default_factory=dict)

    def listed(self) -> list[str]:
        """Every module of this group and below that is to be reported."""
        own = [self.package] if self.package is not None and self.names is not None else []
        below = [name for group in self.groups.values() for name in group.listed()]
        return own + [module for module, _ in self.modules] + below


def _grouped(modules: list[tuple[str, list[str]]]) -> _Group:
    top = _Group(None)
    for module, names in modules:
        group, parts = top, module.split(".")
        for depth in range(1, len(parts)):
            package = ".".join(parts[:depth])
            group = group.groups.setdefault(package, _Group(package))
        group.modules.append((module, names))
    _promote_packages(top)
    return top


def _promote_packages(group: _Group) -> None:
    """A listed module that is also the package of other listed modules is checked by the process
    that imports it for them."""
    for module, names in list(group.modules):
        if module in group.groups:
            group.groups[module].names = names
            group.modules.remove((module, names))
    for sub in group.groups.values():
        _promote_packages(sub)


@dataclass
class _Child:
    module: str
    pid: int
    result_fd: int
    stderr_fd: int
    started: float
    # a child that imports a package (a ``_Group``) or runs an opening import shared by modules
    # (``smoke_leads.Prefix``), and serves the modules below
    group: _Group | Any = None
    ready: bool = False  # a group child: its package is imported, its modules are under way
    reported: set[str] = field(default_factory=set)
    result: bytearray = field(default_factory=bytearray)
    stderr: bytearray = field(default_factory=bytearray)
    status: int | None = None  # exit status (negative: killed by that signal) once reaped
    timed_out: bool = False

    @property
    def timed(self) -> bool:
        """Whether the import timeout applies: a group child's modules have timeouts of their own
        once its package is imported."""
        return self.group is None or not self.ready


class _Tokens:
    """Slots for children running at once, shared by the server and every group process it forks
    (a pipe holding one byte per free slot, as make's jobserver): ``jobs`` imports at a time
    across the whole tree of processes."""

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs
        self.read_fd, self.write_fd = os.pipe()
        os.set_blocking(self.read_fd, False)
        os.write(self.write_fd, b"x" * jobs)

    def take(self) -> bool:
        try:
            return bool(os.read(self.read_fd, 1))
        except BlockingIOError:
            return False

    def give(self) -> None:
        os.write(self.write_fd, b"x")


class _Server:
    def __init__(
        self,
        root: str,
        src_dir: str,
        inbox: int | None,
        outbox: int,
        tokens: _Tokens,
        parent: _Server | None = None,
        gives_back: bool = False,
    ) -> None:
        self.root = root
        self.src_dir = src_dir
        self.inbox = inbox
        self.outbox = outbox
        self.tokens = tokens
        self.filters = list(warnings.filters)  # the interpreter's defaults, before any preload
        self.inherited: list[dict[str, Any]] = []  # deprecations its packages' imports issued
        self.children: dict[int, _Child] = {}
        self.selector = selectors.DefaultSelector()
        self.wake_read, self.wake_write = os.pipe()
        self.pid = os.getpid()
        self.prctl = _prctl()
        self.timeout = 0.0
        self.pending: collections.deque[tuple[str, list[str]] | _Group | Any] = collections.deque()
        # ``smoke_leads`` when the modules' opening imports are shared, and the import system it
        # is sound with (meta path, path hooks, ``__import__``), as the server began forking
        self.leads: Any = None
        self.import_system: tuple[Any, ...] = ()
        if parent is not None:
            self.filters, self.leads = parent.filters, parent.leads
            self.import_system = parent.import_system
        # a process that ran a shared opening import: the modules it cannot serve go back to
        # its parent, up to the nearest process that imported only packages
        self.gives_back = gives_back
        # work to do while waiting on the passes, a step at a time: ``smoke_leads.read_ahead``
        self.meanwhile: Iterator[None] | None = None

    def idle(self, *fds: int) -> bool:
        """Whether, ``fds`` having nothing to read yet, a step of ``meanwhile`` was done."""
        if self.meanwhile is None or _ready(fds):
            return False
        if next(self.meanwhile, self) is self:
            self.meanwhile = None
        return True

    def send(self, message: dict[str, Any]) -> None:
        data = (json.dumps(message) + "\n").encode()
        while data:
            data = data[os.write(self.outbox, data) :]

    def run(self, group: _Group, timeout: float) -> None:
        self.serve(self._arranged(group), timeout)

    def serve(self, items: list[Any], timeout: float) -> None:
        self.timeout = timeout
        os.set_blocking(self.wake_write, False)
        signal.set_wakeup_fd(self.wake_write)
        signal.signal(signal.SIGCHLD, lambda signum, frame: None)
        signal.signal(signal.SIGTERM, _terminated)
        if self.inbox is not None:
            self.selector.register(self.inbox, selectors.EVENT_READ)
        self.selector.register(self.wake_read, selectors.EVENT_READ)
        pending = self.pending
        pending.extend(items)
        try:
            while pending or self.children:
                while pending and self.tokens.take():
                    self._spawn(pending.popleft())
                waiting = pending and self.tokens.read_fd not in self.selector.get_map()
                if waiting:
                    self.selector.register(self.tokens.read_fd, selectors.EVENT_READ)
                elif not pending and self.tokens.read_fd in self.selector.get_map():
                    self.selector.unregister(self.tokens.read_fd)
                timed = [c.started + timeout for c in self.children.values() if c.timed]
                wait = max(0.0, min(timed) - time.monotonic()) if timed else None
                for key, _ in self.selector.select(wait):
                    if key.fd != self.tokens.read_fd:
                        self._readable(key.fd, key.data)
                self._reap()
                for child in list(self.children.values()):
                    late = child.timed and time.monotonic() >= child.started + timeout
                    if child.status is None and late:
                        child.timed_out = True
                        os.kill(child.pid, signal.SIGKILL)
                        _, status = os.waitpid(child.pid, 0)
                        child.status = _exit_status(status)
                    if child.status is not None:
                        self._finish(child)
        finally:
            for child in self.children.values():
                _kill(child.pid)

    # -- the opening imports shared (``smoke_leads``) ----------------------------------------

    def _plain_import_system(self) -> bool:
        now = (*sys.meta_path, None, *sys.path_hooks, None, builtins.__import__)
        return len(now) == len(self.import_system) and all(
            a is b for a, b in zip(now, self.import_system, strict=True)
        )

    def _arranged(self, group: _Group) -> list[Any]:
        """What to fork for ``group``'s modules: its subpackages' groups (those of packages that
        run no code spread into this one), then a process per opening import shared, then the
        modules alone."""
        plain: list[Any] = [*group.groups.values(), *group.modules]
        if self.leads is None or not self._plain_import_system():
            return plain
        path = None
        if group.package is not None:
            path = getattr(sys.modules.get(group.package), "__path__", None)
            if path is None:
                return plain
        try:
            groups, items = self._spread(group, (), path)
        except Exception:  # what a third-party finder may raise: the modules go as they came
            return plain
        return [*groups, *self._prefixed(items)]

    def _spread(
        self, group: _Group, silent: tuple[Any, ...], path: Any
    ) -> tuple[list[_Group], list[Any]]:
        """The subgroups to fork, and the modules of ``group`` and of the subpackages that run no
        code (not changed, not checked themselves), each with the packages not imported yet.
        A changed module's file is not read here (``_ChangeWatch`` would see it read)."""
        leads, unread = self.leads, self._unread()
        items = [
            leads.item(module, names, path, silent, module not in unread)
            for module, names in group.modules
        ]
        groups: list[_Group] = []
        for sub in group.groups.values():
            spec = None if sub.package in unread else leads.find(sub.package, path)
            if sub.names is None and spec is not None and leads.silent(spec):
                below = (*silent, leads.Home.of(str(sub.package), spec))
                more, found = self._spread(sub, below, spec.submodule_search_locations)
                groups += more
                items += found
            else:
                groups.append(sub)
        return groups, items

    @staticmethod
    def _unread() -> frozenset[str]:
        """The modules whose files ``smoke_leads`` does not read, nor follows a statement into: the
        changed ones (``_ChangeWatch`` would see them read) and those whose asking for proves
        nothing of the import before the change (``_Undone.seekers``: a shared statement that
        failed would not have asked for them)."""
        return _ChangeWatch.changed | _Undone.seekers

    def _prefixed(
        self, items: list[Any], arranged: tuple[list[Any], list[Any]] | None = None
    ) -> list[Any]:
        """A process per opening import two items share, then the others alone (given back when
        a statement they passed over binds otherwise now)."""
        shared, alone = arranged or self.leads.arrange(items, self._unread())
        back = [item.module for item in alone if self.gives_back and not self.leads.still(item)]
        if back:
            self.send({"event": "unserved", "modules": back})
        return [*shared, *((i.module, i.names) for i in alone if i.module not in back)]

    def _serve_prefix(self, prefix: Any, outbox: int) -> None:
        """In a prefix child: run the shared opening import, then serve the modules that open
        with it (or report the failure it is for each of them). While every module it serves
        goes on with one same next statement, that one runs here too: a process of its own
        would be a copy of this one."""
        while True:
            served, data = self._run_prefix(prefix, outbox)
            if data["outcome"] != "ok":
                self._fail(prefix, served, data, outbox)
                return
            self.inherited = data["deprecations"]
            shared, alone = self.leads.arrange(served, self._unread())
            if len(shared) != 1 or alone or len(shared[0].items) != len(served):
                break
            prefix = shared[0]
        self._write(outbox, {"event": "ready"})
        server = _Server(self.root, self.src_dir, None, outbox, self.tokens, self, True)
        server.inherited = self.inherited
        server.serve(server._prefixed(served, (shared, alone)), self.timeout)

    def _fail(self, prefix: Any, served: list[Any], data: dict[str, Any], outbox: int) -> None:
        """Report the failure of the statement ``data`` records for each module it served, as a
        fresh import of it would fail; give back those whose import could go on."""
        in_project, taken = self._in_project, prefix.taken
        failures = [(item, self.leads.failed_at(item, data, in_project, taken)) for item in served]
        back = [item.module for item, failed in failures if failed is None]
        if back:
            self._write(outbox, {"event": "unserved", "modules": back})
        self._write(outbox, {"event": "ready"})
        for item, failed in failures:
            if failed is not None:
                self._write(outbox, self._result(item.module, failed))

    def _in_project(self, path: str) -> bool:
        return _in_src(path, self.src_dir)

    def _run_prefix(self, prefix: Any, outbox: int) -> tuple[list[Any], dict[str, Any]]:
        """Run ``prefix``'s statement: the modules it serves (the others go back) and its record."""
        leads = self.leads

        def recorded(load: Callable[[], Any]) -> dict[str, Any]:
            return record(prefix.lead.text(), self.src_dir, [], self.inherited, load)

        data = leads.run(prefix, recorded)
        failed = data["outcome"] != "ok"
        sound = not data["recursion"] and (
            failed or (self._plain_import_system() and threading.active_count() == 1)
        )
        served = [
            item
            for item in prefix.items
            if sound
            and leads.kept_apart(item)
            and (failed or leads.passed(item) or leads.pending(prefix, item))
        ]
        kept = {id(item) for item in served}
        back = [item.module for item in prefix.items if id(item) not in kept]
        if back:
            self._write(outbox, {"event": "unserved", "modules": back})
        return served, data

    def _take_back(self, child: _Child, modules: list[str]) -> None:
        """Modules a prefix child could not serve: up to this process's parent, or imported
        alone from here."""
        child.reported.update(modules)
        if self.gives_back:
            self.send({"event": "unserved", "modules": modules})
            return
        assert not isinstance(child.group, _Group)  # only prefix children give modules back
        names = {item.module: item.names for item in child.group.items}
        self.pending.extend((module, names[module]) for module in modules)

    def _spawn(self, item: tuple[str, list[str]] | _Group | Any) -> None:
        group: Any = None if isinstance(item, tuple) else item
        if isinstance(item, _Group):
            module, names = str(item.package), item.names or []
        elif isinstance(item, tuple):
            module, names = item
        else:  # a shared opening import
            module, names = item.lead.text(), []
        result_read, result_write = os.pipe()
        stderr_read, stderr_write = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child
            try:
                self._become_child(result_write, stderr_write)
                sys.argv = [sys.argv[0], "fresh", module, self.src_dir, json.dumps(names)]
                if isinstance(group, _Group):
                    self._serve_group(group, result_write)
                elif group is not None:
                    self._serve_prefix(group, result_write)
                else:
                    self._write(result_write, record(module, self.src_dir, names, self.inherited))
            finally:
                os._exit(0)
        os.close(result_write)
        os.close(stderr_write)
        child = _Child(module, pid, result_read, stderr_read, time.monotonic(), group)
        self.children[pid] = child
        self.selector.register(result_read, selectors.EVENT_READ, child)
        self.selector.register(stderr_read, selectors.EVENT_READ, child)

    @staticmethod
    def _write(fd: int, message: dict[str, Any]) -> None:
        payload = (json.dumps(message) + "\n").encode()
        while payload:
            payload = payload[os.write(fd, payload) :]

    def _serve_group(self, group: _Group, outbox: int) -> None:
        """In a group child: import the package, report it, then serve the modules below it."""
        package = str(group.package)
        imported = record(package, self.src_dir, group.names or [], self.inherited)
        self._write(outbox, {"event": "ready"})
        if imported["outcome"] != "ok":  # a fresh import of any module below fails the same way
            for module in group.listed():
                self._write(outbox, self._result(module, imported))
            return
        if group.names is not None:
            self._write(outbox, self._result(package, imported))
        _fill_finder_caches(list(getattr(sys.modules.get(package), "__path__", [])), package)
        server = _Server(self.root, self.src_dir, None, outbox, self.tokens, self)
        server.inherited = imported["deprecations"]
        server.run(group, self.timeout)

    @staticmethod
    def _result(module: str, data: dict[str, Any]) -> dict[str, Any]:
        return {
            "event": "result",
            "module": module,
            "record": data,
            "stderr": "",
            "status": 0,
            "timed_out": False,
            "seconds": 0.0,
        }

    def leave(self) -> None:
        """In a process forked from this server: no signal writes to the server's wake pipe, the
        kernel kills the process if the server dies (Linux), and it holds none of the server's
        pipes."""
        signal.set_wakeup_fd(-1)
        if self.prctl is not None:
            self.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        for fd in (self.inbox, self.outbox, self.wake_read, self.wake_write):
            if fd is not None:
                os.close(fd)

    def _become_child(self, result_write: int, stderr_write: int) -> None:
        """Drop the server's duties and state: a child is a fresh importer of one module."""
        self.leave()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        if os.getppid() != self.pid:  # the server died before PDEATHSIG took effect
            os._exit(1)
        for other in self.children.values():
            os.close(other.result_fd)
            os.close(other.stderr_fd)
        self.selector.close()
        devnull = os.open(os.devnull, os.O_RDWR)
        os.dup2(devnull, 0)
        os.dup2(devnull, 1)
        os.dup2(stderr_write, 2)
        os.close(devnull)
        os.close(stderr_write)
        os.chdir(self.root)
        warnings.filters[:] = self.filters  # type: ignore[index]
        warnings._filters_mutated()  # type: ignore[attr-defined]

    def _readable(self, fd: int, child: _Child | None) -> None:
        if fd == self.inbox:
            if not os.read(fd, 4096):  # the kit is gone: so are we
                raise SystemExit(3)
            return
        if child is None:  # a signal arrived (a child exited)
            os.read(self.wake_read, 4096)
            return
        data = os.read(fd, 65536)
        if not data:
            self.selector.unregister(fd)
            return
        if fd == child.result_fd:
            child.result += data
            self._relay(child)
        else:
            child.stderr = (child.stderr + data)[-STDERR_KEPT:]

    def _relay(self, child: _Child) -> None:
        """Pass on the whole lines a group child wrote: its readiness, its modules' results."""
        if child.group is None:
            return
        *lines, rest = bytes(child.result).split(b"\n")
        child.result = bytearray(rest)
        for line in lines:
            message = json.loads(line)
            if message["event"] == "ready":
                child.ready = True
                self.tokens.give()
            elif message["event"] == "unserved":
                self._take_back(child, [str(module) for module in message["modules"]])
            else:
                child.reported.add(str(message["module"]))
                self.send(message)

    def _reap(self) -> None:
        for child in self.children.values():
            if child.status is None:
                pid, status = os.waitpid(child.pid, os.WNOHANG)
                if pid:
                    child.status = _exit_status(status)

    def _finish(self, child: _Child) -> None:
        """Read what the exited child left in its pipes, report it and forget the child."""
        for fd in (child.result_fd, child.stderr_fd):
            os.set_blocking(fd, False)
            try:
                while data := os.read(fd, 65536):
                    if fd == child.result_fd:
                        child.result += data
                    else:
                        child.stderr = (child.stderr + data)[-STDERR_KEPT:]
            except BlockingIOError:  # a grandchild still holds the pipe open
                pass
            if fd in self.selector.get_map():
                self.selector.unregister(fd)
            os.close(fd)
        del self.children[child.pid]
        if child.group is not None:
            self._relay(child)
            if not child.ready:
                self.tokens.give()
            modules = [m for m in child.group.listed() if m not in child.reported]
            for module in modules:  # the group child died before it reported them
                self._report(child, module, None)
            return
        self.tokens.give()
        try:
            result = json.loads(child.result) if child.result and not child.timed_out else None
        except ValueError:
            result = None
        self._report(child, child.module, result)

    def _report(self, child: _Child, module: str, result: dict[str, Any] | None) -> None:
        self.send(
            {
                "event": "result",
                "module": module,
                "record": result,
                "stderr": child.stderr.decode("utf-8", "replace"),
                "status": child.status,
                "timed_out": child.timed_out,
                "seconds": time.monotonic() - child.started,
            }
        )


def _exit_status(status: int) -> int:
    return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


def _terminated(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # runs the server's cleanup: its children are killed


_PR_SET_PDEATHSIG = 1


def _prctl() -> Any:
    """Linux's ``prctl``, looked up once in the server (so children need not import ctypes)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


def serve(root: str, src_dir: str) -> None:
    # the protocol gets private copies of stdin/stdout; what modules print goes to stderr
    inbox, outbox = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    os.close(devnull)
    line = b""
    while not line.endswith(b"\n"):
        chunk = os.read(inbox, 65536)
        if not chunk:
            return
        line += chunk
    request = json.loads(line)
    tokens = _Tokens(max(1, int(request["jobs"])))
    server = _Server(root, os.path.realpath(src_dir), inbox, outbox, tokens)
    warnings.warn = _warn
    failed = _preload(list(request["preload"]))
    purged = _purge_project(server.src_dir)
    _ChangeWatch.install([str(name) for name in request.get("changed", [])], server.src_dir)
    if request.get("code_cache"):
        floor = int(request.get("code_cache_floor", 0))
        _CodeCache.install(str(request["code_cache"]), server.src_dir, floor)
    _fill_finder_caches(list(sys.path))
    threads = [thread.name for thread in threading.enumerate()]
    server.send({"event": "ready", "failed": failed, "purged": purged, "threads": threads})
    if len(threads) > 1:
        return  # forking a threaded process can deadlock: the kit falls back to fresh ones
    modules = [(str(m), [str(n) for n in names]) for m, names in request["modules"]]
    timeout = float(request["timeout"])
    undone = request.get("undone")
    _Undone.expected = bool(undone and undone.get("statements"))
    edges = request.get("shared")

    def forked_path() -> None:
        _ready_forked_path(server, undone, bool(request.get("leads")))

    if edges is not None:
        if request.get("leads"):
            server.meanwhile = _read_ahead(modules, undone)
        graph = {str(m): [str(t) for t in targets] for m, targets in edges.items()}
        context = {str(module) for module in request.get("context", [])}
        bad: dict[str, bool] = {}
        alone = _Alone(server, timeout, forked_path)
        trusted = _shared_passes(server, modules, graph, timeout, context, bad, alone)
        modules = [(m, names) for m, names in modules if m not in trusted and m not in context]
        # a failure a pass left for its own import to prove (``_Undone``) is left to it here too
        given = [(m, names) for m, names in modules if not bad.get(m)]
        # off unless asked for: measured against the forked path's real pace it cost more than
        # it spared on Django and sympy, and the synthetic tree leaves it nothing (design.md)
        if given and os.environ.get("SHIMKIT_FORK_TREE") == "1":
            trusted = _fork_tree(server, given, graph, timeout, bad, alone)
            modules = [(m, names) for m, names in modules if m not in trusted]
    forked_path()
    server.run(_grouped(modules), timeout)


def _ready_forked_path(server: _Server, undone: dict[str, Any] | None, leads: bool) -> None:
    """Ready this process to fork the forked path's children: after the one interpreter, whose
    records the change-undone proof says nothing of."""
    _Undone.install(undone, server.src_dir)
    server.meanwhile = None
    if leads:
        server.leads = _sibling("smoke_leads")
        server.import_system = (*sys.meta_path, None, *sys.path_hooks, None, builtins.__import__)


def _read_ahead(
    modules: list[tuple[str, list[str]]], undone: dict[str, Any] | None
) -> Iterator[None]:
    """While the server waits on the passes and the sample (whose first look waits for the
    sample while the pass's core idles): read the opening statements the forked path will
    read (``smoke_leads.read_ahead``), so that its processes find them read. Not the files
    ``_Server._unread`` leaves unread (the change's seekers of the description only: those
    ``_Seeking`` adds are left to be read or not later)."""
    leads = _sibling("smoke_leads")  # loaded here, after the pass and the sample are forked
    unread = _ChangeWatch.changed | frozenset((undone or {}).get("seekers", ()))
    yield from leads.read_ahead([module for module, _ in modules], unread)


# passes at most (``SHIMKIT_SHARED_PASSES`` in the environment says otherwise; 1: no pass of
# their own). Each pass imports about what the previous one could not vouch for, so one that did
# not pay for itself (``smoke_shared._pays``) ends them
SHARED_PASSES = 4
# the modules the forked path imports while the first pass runs, to measure what a module
# imported alone costs in this run: a share of them, within bounds (enough for the processes of
# their packages to be shared by several, few enough to be done before the pass's first look),
# taken as whole units spread through the order (``sample_units``)
SAMPLE_SHARE = 1 / 32
SAMPLE_MIN, SAMPLE_MAX = 8, 64
# of as many units at least (a unit is cut to the count over this): on Django the cost of a
# module alone ranges from a fork (~15 ms of CPU) to the whole ORM (~130 ms) by package, so a
# sample of a few whole packages measured 40 to 85 ms a module where the whole check costs 45
SAMPLE_UNITS = 8


def _shared_passes(
    server: _Server,
    modules: list[tuple[str, list[str]]],
    edges: dict[str, list[str]],
    timeout: float,
    context: Collection[str],
    bad: dict[str, bool],
    alone: _Alone,
) -> set[str]:
    """The one-interpreter pass (``_shared_pass``), then again, each time in a fresh child, over
    the modules the last one did not vouch for but another may (``smoke_shared.retry_order``),
    while the last one paid for itself (``smoke_shared._pays``); returns the modules vouched
    for, and those ``alone``'s sample imported on the forked path to measure what that path
    costs, while the first pass ran. ``bad`` gains the modules whose record
    failed, warned or lost a re-export, and those no shared import can vouch for
    (``smoke_shared.run``'s ``hopeless``); True: no shared import is to try (hopeless, or a
    failure its own import may prove: ``_Undone.provable``)."""
    shared = _sibling("smoke_shared")
    names = dict(modules)
    # else the pass never looks at what it pays; ``SHIMKIT_FIXED_STOPS=1`` (for tests that must
    # exercise the pass and the tree on small trees): no figure, so the pass stops by the fixed
    # yield (``smoke_shared.MIN_YIELD``) and the tree runs to its end
    if len(modules) > shared.FIRST_LOOK and os.environ.get("SHIMKIT_FIXED_STOPS") != "1":
        alone.sample([item for item in modules if item[0] not in context])
    given = [item for item in modules if item[0] not in alone.reported]
    trusted, again = _shared_pass(server, given, edges, timeout, context, bad, alone, split=True)
    trusted |= alone.reported
    passes = int(os.environ.get("SHIMKIT_SHARED_PASSES") or SHARED_PASSES)
    for _ in range(passes - 1):
        given_names = [module for module in again if module not in context]
        if not given_names:
            break
        cpu = _children_cpu()
        vouched, again = _shared_pass(
            server, [(m, names[m]) for m in given_names], edges, timeout, (), bad, alone
        )
        trusted |= vouched
        stretch = shared.Stretch(len(given_names), len(vouched), _children_cpu() - cpu)
        if not shared._pays(stretch, alone.seconds, server.tokens.jobs):
            break
    return trusted


def _children_cpu() -> float:
    """The CPU seconds of this process's children that ended (and were waited for)."""
    times = os.times()
    return times.children_user + times.children_system


class _Alone:
    """What a module imported alone (the forked path) costs in this run: measured on a sample of
    the modules (``sample_units``: whole units, spread through the order), imported so by a
    process forked from the server beside the first pass, on the cores the pass leaves (``jobs``
    less one, at least one). That process readies the forked path as the server will after the
    passes (``forked_path``), so the sample's records are the forked path's own, and reported;
    it hands the figure to the pass through a pipe (``fd``), which the pass reads at its first
    look, waiting for it if need be."""

    def __init__(self, server: _Server, timeout: float, forked_path: Callable[[], None]) -> None:
        self.server = server
        self.timeout = timeout
        self.forked_path = forked_path
        self.modules: list[tuple[str, list[str]]] = []
        self.reported: set[str] = set()
        # the CPU seconds a module of the sample cost, its package and shared processes' share
        # included (theirs, their children's): what the pass's looks weigh
        self.seconds: float | None = None
        # the wall seconds a module of the sample took on one of the forked path's jobs (the
        # sample's wall time times its jobs, over its modules): the pace the tree must beat
        self.pace: float | None = None
        self.said = ""  # the sample, for the log: how many modules, of how many units
        self.fd: int | None = None  # the pass's end of the pipe, while the sample is to run

    def sample(self, modules: list[tuple[str, list[str]]]) -> None:
        count = min(SAMPLE_MAX, max(SAMPLE_MIN, int(len(modules) * SAMPLE_SHARE)))
        self.modules = sample_units(modules, count)
        self.reported = {module for module, _ in self.modules}  # the pass leaves them
        units = len({module.rpartition(".")[0] for module in self.reported})
        self.said = f"{len(self.modules)} modules of {units} packages"

    def figure(self, fd: int | None) -> Callable[[], float | None]:
        """In the pass: what asks for the figure (read once from ``fd``, at the first look)."""
        if fd is None:
            return lambda: self.seconds
        read: list[float | None] = []

        def seconds() -> float | None:
            if not read:
                data = b""
                while chunk := os.read(fd, 64):
                    data += chunk
                read.append(float(data) if data.endswith(b"\n") else None)
            return read[0]

        return seconds

    def measure(self) -> None:
        """In the server, once the first pass runs: fork the sample's process, relay its records
        until it ends, and keep the figure; a module it did not report is left to the others."""
        write_fd = self.fd
        self.fd = None
        if write_fd is None:
            return
        pid, read_fd = _fork_piped(lambda results: self._run(write_fd, results))
        os.close(write_fd)
        self.modules = []  # sampled once: a later pass is given the figure
        reported: set[str] = set()
        buffer = b""
        while True:
            if self.server.idle(read_fd):
                continue
            data = os.read(read_fd, 65536)
            if not data:
                break
            *lines, buffer = (buffer + data).split(b"\n")
            for line in lines:
                message = json.loads(line)
                if message["event"] == "alone":
                    self.seconds, self.pace = float(message["seconds"]), float(message["pace"])
                    continue
                reported.add(str(message["module"]))
                self.server.send(message)
        os.close(read_fd)
        os.waitpid(pid, 0)
        self.reported = reported

    def _run(self, write_fd: int, results: int) -> None:
        """In the sample's process: import the sample on the forked path; hand on the figure."""
        server = self.server
        server.leave()
        self.forked_path()
        workers = _Tokens(max(1, server.tokens.jobs - 1))
        sampler = _Server(server.root, server.src_dir, None, results, workers, server)
        started, begun = sum(os.times()[:4]), time.monotonic()
        sampler.run(_grouped(self.modules), self.timeout)
        seconds = (sum(os.times()[:4]) - started) / len(self.modules)
        pace = (time.monotonic() - begun) * workers.jobs / len(self.modules)
        os.write(write_fd, f"{seconds!r}\n".encode())
        _Server._write(results, {"event": "alone", "seconds": seconds, "pace": pace})

    def opened(self) -> int | None:
        """Before the first pass is forked: the pipe the sample's figure comes through, if a
        sample is to run (the pass keeps the read end, the sample's process the write end)."""
        if not self.modules:
            return None
        read_fd, write_fd = os.pipe()
        self.fd = write_fd
        return read_fd


def sample_units(modules: list[tuple[str, list[str]]], count: int) -> list[tuple[str, list[str]]]:
    """About ``count`` of ``modules`` (in their order) for ``_Alone`` to measure the forked path
    on, taken as that path serves them: runs of modules of one package (which one process
    imports for all of them, and whose shared opening imports one process runs), so their
    shared processes are shared as in the whole check; and of packages spread through the order
    (those at 1/2, then 1/4 and 3/4, then the eighths... of it), so the sample is neither the
    cheap opening of the order nor its far end, where the modules that import the most are (on
    Django such a sample cost 130 ms of CPU a module, the whole check 45). Each package gives
    the run around its module at that place, of ``SAMPLE_UNITS``' share of the count, more
    when fewer packages cannot fill it."""
    units: dict[str, list[int]] = {}
    for index, (module, _) in enumerate(modules):
        units.setdefault(module.rpartition(".")[0], []).append(index)
    places: dict[str, int] = {}  # package -> where in its run the sample is centred
    level = 1
    while len(places) < len(units):
        for step in range(1, 2 * level, 2):
            index = len(modules) * step // (2 * level)
            unit = modules[index][0].rpartition(".")[0]
            if unit not in places:
                places[unit] = units[unit].index(index)
        level *= 2
    most = max(1, count // SAMPLE_UNITS)
    while True:
        sizes, left = {}, count
        for unit in places:
            sizes[unit] = min(len(units[unit]), most, left)
            left -= sizes[unit]
        if not left or most >= count:
            break
        most *= 2
    kept: set[int] = set()
    for unit, size in sizes.items():
        members = units[unit]
        first = max(0, min(places[unit] - size // 2, len(members) - size))
        kept.update(members[first : first + size])
    return [item for index, item in enumerate(modules) if index in kept]


def _shared_pass(
    server: _Server,
    modules: list[tuple[str, list[str]]],
    edges: dict[str, list[str]],
    timeout: float,
    context: Collection[str],
    bad: dict[str, bool],
    alone: _Alone,
    split: bool = False,
) -> tuple[set[str], list[str]]:
    """Import ``modules`` in one child, in the order given (``smoke_shared``), and report the
    records it trusts but those of ``context`` (imported for the order only); returns their
    modules, and those another pass may vouch for, in the order to import them. A module that
    runs longer than ``timeout``, or a child that dies, leaves the rest to their own imports.
    ``alone`` gives the figure the pass's looks weigh (and, the first time, runs its sample
    while the pass runs). ``split``: once the pass's first look finds that it pays, what is
    left of its modules is shared out among the server's jobs, a pass of its own each
    (``_split_at``), so that the passes hold every core where one pass held one."""
    read_fd = alone.opened()

    def part(
        given: list[tuple[str, list[str]]], figure: Callable[[], float | None], splits: bool
    ) -> Callable[[Any, int], None]:
        def run(shared: Any, write_fd: int) -> None:
            def emit(module: str, data: dict[str, Any], trusted: bool) -> None:
                _Server._write(write_fd, {"module": module, "record": data, "trusted": trusted})

            def hopeless(module: str) -> None:
                _Server._write(write_fd, {"hopeless": module})

            def shared_out(imported: int) -> int:
                kept, parts = _split_at(imported, len(given), jobs)
                if parts:
                    _Server._write(write_fd, {"split": parts})
                    _tree_log(f"pass split: keeps {imported} to {kept}, leaves {parts}\n")
                return kept

            if alone.fd is not None:
                os.close(alone.fd)  # the sample's process holds the only write end
            jobs = server.tokens.jobs
            args = (server.src_dir, record, _ChangeWatch, emit, hopeless, figure, jobs)
            retry, stopped = shared.run(
                given, edges, *args, _look_logged(jobs), shared_out if splits else None
            )
            _Server._write(write_fd, {"again": retry, "stopped": stopped, "jobs": jobs})

        return run

    def more(start: int, stop: int) -> Callable[[Any, int], None]:
        # a later part is forked once the first pass's first look has the sample's figure
        return part(modules[start:stop], alone.figure(None), False)

    try:
        first = part(modules, alone.figure(read_fd), split)
        return _vouching_child(server, first, timeout, context, bad, alone.measure, more=more)
    finally:
        if read_fd is not None:
            os.close(read_fd)


# a part of a split pass imports this many modules at least (``SHIMKIT_SPLIT_MIN`` in the
# environment says otherwise): fewer, and its fork and the imports its modules share with the
# other parts would cost more than the core it takes saves
SPLIT_MIN = 256


def _split_at(imported: int, given: int, jobs: int) -> tuple[int, list[list[int]]]:
    """Where a pass that imported ``imported`` of its ``given`` modules ends, and the ranges of
    them (start, stop) left to passes of their own: what is left, in ``jobs`` parts of about one
    size, this pass keeping the first; none when a part would be under ``SPLIT_MIN``."""
    left = given - imported
    parts = min(jobs, left // int(os.environ.get("SHIMKIT_SPLIT_MIN") or SPLIT_MIN))
    if parts < 2:
        return given, []
    bounds = [imported + left * index // parts for index in range(parts + 1)]
    return bounds[1], [[bounds[index], bounds[index + 1]] for index in range(1, parts)]


def _tree_log(text: str) -> None:
    """For benchmarks and tests, appended to the file ``SHIMKIT_TREE_LOG`` names, if it does:
    which path gave a record and why (no note: that changes nothing in the record)."""
    log = os.environ.get("SHIMKIT_TREE_LOG")
    if log:
        with open(log, "a") as file:
            file.write(text)


def _look_logged(jobs: int) -> Callable[[Any, float | None, bool], None] | None:
    """What each look of a pass weighed and decided, in the tree log (``_tree_log``)."""
    if not os.environ.get("SHIMKIT_TREE_LOG"):
        return None

    def looked(stretch: Any, alone: float | None, going_on: bool) -> None:
        cost = "not measured" if alone is None else f"{alone * 1000:.1f} ms"
        _tree_log(
            f"pass look: {stretch.vouched} of {stretch.imported} imports vouchable, "
            f"{stretch.seconds * 1000 / stretch.imported:.1f} ms CPU an import; alone "
            f"{cost} on {jobs} jobs: {'go on' if going_on else 'stop'}\n"
        )

    return looked


def _fork_tree(
    server: _Server,
    modules: list[tuple[str, list[str]]],
    edges: dict[str, list[str]],
    timeout: float,
    bad: Collection[str],
    alone: _Alone,
) -> set[str]:
    """Import ``modules`` in the fork tree by shared closure (``smoke_tree``), rooted in one
    child, while it pays (``_TreePace``), and report the records it vouches for; returns their
    modules."""

    def run(shared: Any, write_fd: int) -> None:
        def line(module: str, data: dict[str, Any]) -> bytes:
            return (json.dumps({"module": module, "record": data, "trusted": True}) + "\n").encode()

        tree = _load_sibling("smoke_tree")
        jobs, prctl = server.tokens.jobs, server.prctl
        args = (server.src_dir, record, _ChangeWatch, line, jobs, prctl, write_fd, bad)
        tree.run(shared, modules, edges, *args)

    started = time.monotonic()
    pace = _TreePace(alone.pace, len(modules), server.tokens.jobs, alone.said)
    trusted, _ = _vouching_child(server, run, timeout, going=pace.going)
    seconds = time.monotonic() - started
    _tree_log(
        f"fork tree: {len(trusted)} of {len(modules)} modules, {seconds:.1f} s"
        f"; {pace.said or 'ran to its end'} ({pace.figure})\n"
        f"vouched: {' '.join(sorted(trusted))}\n"
    )
    return trusted


class _TreePace:
    """Whether the fork tree pays: it runs at least ``GRACE`` of the time the forked path would
    take to import its ``count`` modules (its first records come only once its processes
    imported what they share), then only while it has vouched for at least as many records as
    the forked path's ``jobs`` processes would have given in that time, a record each ``pace``
    seconds each (``_Alone.pace``, measured on ``sample``, whole units of the order as that path
    serves them; not measured: the tree runs to its end). Stopping it only leaves the modules it
    did not report to the forked path."""

    GRACE = 1 / 10

    def __init__(self, pace: float | None, count: int, jobs: int, sample: str = "") -> None:
        self.rate = None if pace is None else jobs / pace
        self.grace = 0.0 if self.rate is None else max(1.0, count / self.rate * self.GRACE)
        self.said = ""  # why it stopped, if it did
        self.figure = (
            "the forked path's pace not measured: no stop"
            if pace is None
            else f"the forked path's pace {pace * 1000:.1f} ms a module a job on {sample}"
        )

    def going(self, vouched: int, seconds: float) -> bool:
        if self.rate is None or seconds < self.grace or vouched >= seconds * self.rate:
            return True
        self.said = (
            f"stopped at {seconds:.1f} s, {vouched / seconds:.1f} records a second where the "
            f"forked path gives {self.rate:.1f}"
        )
        return False


def _vouching_child(
    server: _Server,
    run: Callable[[Any, int], None],
    timeout: float,
    context: Collection[str] = (),
    bad: dict[str, bool] | None = None,
    meanwhile: Callable[[], None] | None = None,
    going: Callable[[int, float], bool] | None = None,
    more: Callable[[int, int], Callable[[Any, int], None]] | None = None,
) -> tuple[set[str], list[str]]:
    """Fork a child that runs ``run(smoke_shared, write_fd)``, which writes a line per record
    (``module``, ``record``, ``trusted``) and maybe one that says what to import again
    (``again``, ``stopped``, ``jobs``); report the trusted records but those of ``context``.
    A line ``split`` names ranges (start, stop) of the child's modules it leaves: each is given
    to a child of its own, forked here, that runs ``more(start, stop)``, read as the first.
    ``meanwhile`` runs in this process once the child is forked, before its records are read;
    ``going(records reported, seconds)``, asked about once a second, stops the child when False.
    A child silent for ``timeout`` seconds is killed. Returns their modules, and the ``again``
    lists, the first child's first."""
    children = _Children(server)
    children.start(run)
    if meanwhile is not None:
        meanwhile()
        children.heard_now()  # what ``meanwhile`` took is not the child's silence
    trusted: set[str] = set()
    again: dict[int, list[str]] = {}  # by the order the children were forked in
    begun = time.monotonic()
    try:
        while children.live(timeout):
            wait = children.wait(timeout)
            if going is not None:
                if not going(len(trusted), time.monotonic() - begun):
                    break
                wait = min(wait, 1.0)
            if server.idle(*children.fds):
                continue
            for child, seconds, message in children.read(wait):
                if "split" in message:
                    for start, stop in message["split"]:
                        assert more is not None, "a child split that was not asked to"
                        children.start(more(int(start), int(stop)))
                    continue
                if "again" in message:
                    again[child] = [str(module) for module in message["again"]]
                    if message["stopped"] is not None:
                        note = _stopped_note(message["stopped"], int(message["jobs"]), child > 0)
                        server.send(note)
                    continue
                if "hopeless" in message:
                    if bad is not None:
                        bad[str(message["hopeless"])] = True
                    continue
                record_ = message["record"]
                if bad is not None and (
                    record_["outcome"] != "ok" or record_["deprecations"] or record_["bad_names"]
                ):
                    module = str(message["module"])
                    bad[module] = bad.get(module, False) or _Undone.provable(record_)
                if (
                    message["trusted"]
                    and message["module"] not in context
                    and not _Undone.provable(record_)
                ):
                    trusted.add(str(message["module"]))
                    result = _Server._result(str(message["module"]), message["record"])
                    server.send({**result, "seconds": seconds, "shared": True})
    finally:
        children.close()
    return trusted, [module for child in sorted(again) for module in again[child]]


class _Children:
    """The vouching children being read: for each (by its pipe's read end), its pid, its place
    in the order they were forked in, what of its last line has come, and when it was last
    heard from and last gave a line."""

    def __init__(self, server: _Server) -> None:
        self.server = server
        self.selector = selectors.DefaultSelector()
        self.pids: dict[int, int] = {}
        self.order: dict[int, int] = {}
        self.buffers: dict[int, bytes] = {}
        self.heard: dict[int, float] = {}
        self.said: dict[int, float] = {}
        self.forked = 0

    @property
    def fds(self) -> list[int]:
        return list(self.pids)

    def start(self, run: Callable[[Any, int], None]) -> None:
        server = self.server

        def child(write_fd: int) -> None:
            server.leave()
            devnull = os.open(os.devnull, os.O_RDWR)
            os.dup2(devnull, 0)
            os.dup2(devnull, 1)
            os.close(devnull)
            os.chdir(server.root)
            warnings.filters[:] = server.filters  # type: ignore[index]
            warnings._filters_mutated()  # type: ignore[attr-defined]
            run(_sibling("smoke_shared"), write_fd)

        pid, read_fd = _fork_piped(child)
        self.selector.register(read_fd, selectors.EVENT_READ)
        self.pids[read_fd], self.order[read_fd] = pid, self.forked
        self.buffers[read_fd] = b""
        self.heard[read_fd] = self.said[read_fd] = time.monotonic()
        self.forked += 1

    def heard_now(self) -> None:
        for fd in self.pids:
            self.heard[fd] = self.said[fd] = time.monotonic()

    def live(self, timeout: float) -> bool:
        """Whether a child is left, once those silent for ``timeout`` seconds are ended."""
        now = time.monotonic()
        for fd in [fd for fd, heard in self.heard.items() if now - heard >= timeout]:
            self._end(fd)
        return bool(self.pids)

    def wait(self, timeout: float) -> float:
        """How long until the first child runs out of ``timeout``."""
        return timeout - (time.monotonic() - min(self.heard.values()))

    def read(self, wait: float) -> Iterator[tuple[int, float, dict[str, Any]]]:
        """Each whole line that came within ``wait`` seconds: the child's place in the order,
        the seconds since its line before, and the line."""
        for key, _ in self.selector.select(wait):
            fd = key.fd
            self.heard[fd] = now = time.monotonic()
            data = os.read(fd, 65536)
            if not data:
                self._end(fd)
                continue
            *lines, self.buffers[fd] = (self.buffers[fd] + data).split(b"\n")
            for line in lines:
                yield self.order[fd], now - self.said[fd], json.loads(line)
                self.said[fd] = now = time.monotonic()

    def _end(self, fd: int) -> None:
        self.selector.unregister(fd)
        os.close(fd)
        _kill(self.pids.pop(fd))
        for table in (self.order, self.buffers, self.heard, self.said):
            table.pop(fd)

    def close(self) -> None:
        for fd in list(self.pids):
            self._end(fd)
        self.selector.close()


def _ready(fds: Collection[int]) -> bool:
    """Whether one of ``fds`` has something to read, or its other end closed (``poll``: no
    limit on the descriptors' numbers, as ``select`` has)."""
    poller = select.poll()
    for fd in fds:
        poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))


def _fork_piped(work: Callable[[int], None]) -> tuple[int, int]:
    """Fork a child that runs ``work(the write end of a new pipe)`` and exits; returns its pid
    and the read end."""
    read_fd, write_fd = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read_fd)
            work(write_fd)
        finally:
            os._exit(0)
    os.close(write_fd)
    return pid, read_fd


def _stopped_note(stopped: list[Any], jobs: int, part: bool = False) -> dict[str, Any]:
    """Where a pass stopped and why (``smoke_shared.Stopped``), for a person; ``part``: a pass
    given a part of what a split pass left, whose counts are of that part."""
    imported, given, vouched, seconds, share, alone = stopped
    if alone is None:
        minimum = _sibling("smoke_shared").MIN_YIELD
        why = f"it could vouch for {share:.0%} of its last imports, under the {minimum:.0%} needed"
    else:
        needed = seconds * jobs / alone
        why = (
            f"its last imports cost {seconds * 1000:.1f} ms of CPU each and it could vouch for "
            f"{share:.0%} of them, where a module imported alone costs {alone * 1000:.1f} ms on "
            f"{jobs} core{'s' if jobs > 1 else ''}: it pays only if it vouches for {needed:.0%}"
        )
    which, of = "the one-interpreter import check", f"{imported} of {given} modules"
    if part:  # its counts are of its part only
        which, of = f"a part of {which}", f"{of} in its part"
    return {
        "event": "note",
        "text": f"{which} stopped after {of} "
        f"(it could vouch for {vouched} of them; {why}): the others are imported alone",
    }


_SIBLINGS: dict[str, Any] = {}


def _sibling(name: str) -> Any:
    """``_load_sibling``, once per process (the server's children inherit it)."""
    if name not in _SIBLINGS:
        _SIBLINGS[name] = _load_sibling(name)
    return _SIBLINGS[name]


def _load_sibling(name: str) -> Any:
    """A module of this folder, loaded by file path (``-P``: the folder is not on sys.path,
    and the kit's package must not be imported here)."""
    import importlib.util

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"_shimkit_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    _KIT.append(vars(module))
    spec.loader.exec_module(module)
    return module


def main(argv: list[str]) -> None:
    if argv[:1] == ["fresh"] and len(argv) in (4, 5, 6):
        fresh(*argv[1:])
    elif argv[:1] == ["serve"] and len(argv) == 3:
        os.chdir(argv[1])
        serve(argv[1], argv[2])
    else:
        raise SystemExit(f"usage: {__doc__.splitlines()[2].strip()}" if __doc__ else "usage")


if __name__ == "__main__":
    main(sys.argv[1:])
