"""The engine's vocabulary: immutable records passed between analysis, rewrite, apply and verify.

Paths are POSIX strings relative to the repository root; modules are dotted names relative to the
import root (``src/``). Nothing here does I/O.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property


class Area(enum.Enum):
    """Where a file lives; decides how a user reads an inventory entry."""

    SRC = "src"
    TESTS = "tests"
    SCRIPTS = "scripts"
    NOTEBOOKS = "notebooks"
    OTHER = "other"


class ReferenceKind(enum.Enum):
    """The syntactic form through which a file reaches a shim module."""

    FROM_IMPORT = "from-import"  # from shim import name
    RELATIVE_FROM_IMPORT = "relative-from-import"  # from .shim import name
    MODULE_IMPORT = "module-import"  # import a.b.shim [as x]  (+ attribute uses)
    SUBMODULE_FROM_IMPORT = "submodule-from-import"  # from a.b import shim  (+ attribute uses)
    STRING = "string"  # "a.b.shim" / "a.b.shim.name" in mock.patch, import_module, sys.modules
    NOTEBOOK = "notebook"  # any of the above inside a notebook code cell


class Context(enum.Enum):
    """Syntactic surroundings of a reference that a reader (or a rewrite) must know about."""

    FUNCTION_LOCAL = "function-local"
    TYPE_CHECKING = "type-checking"
    TRY_EXCEPT_IMPORT_ERROR = "try-except-import-error"
    PACKAGE_INIT = "package-init"
    DOCSTRING = "docstring"  # in a code example (``>>>``) of a docstring


@dataclass(frozen=True)
class ParseFailure:
    """A file the engine could not read or parse.

    ``blocks`` says why the run cannot go on while it does not parse (its text may name a module
    the run moves); empty when it cannot matter to the run, which then lists it as skipped and
    goes on. ``masked``: a ``.py`` inside a root package, which import-linter cannot build its
    graph over: contracts are checked with it masked as an empty module (so it is not checked).
    """

    path: str
    line: int
    message: str
    blocks: str = ""
    masked: bool = False


@dataclass(frozen=True)
class SkippedCell:
    """A notebook cell the engine neither analyses nor rewrites: a cell magic whose body is not
    Python (``%%bash``, ``%%writefile f``, ``%%sql``, ...). A reference in it is not seen."""

    path: str
    cell: int  # position among all cells of the notebook (markdown cells count)
    magic: str  # the cell magic's name, without ``%%``


@dataclass(frozen=True)
class ReExport:
    """One name a shim module passes through."""

    name: str  # the name the shim binds (after ``as``)
    imported_from: str  # absolute module the shim imports it from (relative imports resolved)
    original_name: str  # the name in ``imported_from``
    line: int
    guarded: bool = False  # inside ``try: ... except ImportError``
    star: bool = False  # ``from x import *``: ``name`` is "*" until resolved
    lazy: bool = False  # provided on first access by a PEP 562 ``__getattr__`` branch


@dataclass(frozen=True)
class ShimLayer:
    """A module whose public names are (mostly) imported from elsewhere."""

    module: str
    path: str
    reexports: tuple[ReExport, ...]
    warns: bool  # calls warnings.warn at import time (a deprecated shim)
    is_package_init: bool
    facade: bool  # a package ``__init__`` re-exporting its own submodules, not a cross-package shim
    pure: bool  # nothing but docstring, imports, ``__all__`` (and a deprecation warning)
    none_fallbacks: tuple[str, ...] = ()  # names set to None when an import fails
    all_names: tuple[str, ...] | None = None  # ``__all__`` if the module declares it
    # nothing but re-exports, eager or lazy: ``pure``, or impure only by a PEP 562 ``__getattr__``
    # whose every branch is a plain lazy import the analysis reads (so retiring it loses nothing)
    reexports_only: bool = False


@dataclass(frozen=True)
class Definition:
    """Where a name is really defined (a def/class/assignment that is not an import)."""

    module: str
    name: str


# how a module of a chain passes a name on to the next: ``from m import x``, ``from m import *``,
# a PEP 562 ``__getattr__`` branch
VIA_IMPORT, VIA_STAR, VIA_LAZY = "import", "star", "lazy"


@dataclass(frozen=True)
class Resolution:
    """How one name exported by a shim reaches its definition."""

    shim: str
    name: str
    chain: tuple[str, ...]  # modules passed through, shim first, defining module last
    definition: Definition | None  # None: see ``unresolved``
    via: tuple[str, ...] = ()  # how each module of the chain but the last passes it on (VIA_*)
    unresolved: str = ""  # why there is no definition (leaves the tree, computed, a cycle, ...)
    names: tuple[str, ...] = ()  # what the name is called in each module of the chain

    def provides_lazily(self, module: str) -> bool:
        """``module`` (of the chain) provides the name through its PEP 562 ``__getattr__``."""
        hops = zip(self.chain, self.via, strict=False)  # the last module passes nothing on
        return any(m == module and how == VIA_LAZY for m, how in hops)


@dataclass(frozen=True)
class Reference:
    """One place that names a shim module (or a name through it)."""

    path: str
    line: int
    column: int
    kind: ReferenceKind
    shim: str  # the shim module referenced
    names: tuple[str, ...]  # names taken from the shim; () when only the module is referenced
    area: Area
    contexts: frozenset[Context] = frozenset()
    importer: str | None = None  # dotted module of the referencing file, if it is under src/
    text: str = ""  # the source line, stripped, for reports
    exercises_shim: bool = False  # a test about the shim itself (e.g. asserts its warning)
    test: str = ""  # that test's pytest node id after the path ("Class::test_name"), if it is one
    cell: int | None = None  # notebook code cell index (``line`` is then relative to the cell)


@dataclass(frozen=True)
class BranchWork:
    """A branch with commits not in HEAD that touch files the plan will change: work in flight."""

    branch: str  # local (``feature/x``) or remote-tracking (``origin/feature/x``)
    commits: int  # its commits not in HEAD that touch those files
    files: tuple[str, ...]  # the plan's files they touch (root-relative POSIX paths)


@dataclass(frozen=True)
class Precondition:
    """One of the plan's preconditions, as step 1 checked it."""

    name: str
    met: bool
    details: str


@dataclass(frozen=True)
class Inventory:
    """What step 1 reports and later steps consume."""

    root: str
    src: str
    parse_failures: tuple[ParseFailure, ...]
    shims: tuple[ShimLayer, ...]
    resolutions: tuple[Resolution, ...]
    references: tuple[Reference, ...]
    modules: tuple[str, ...]  # every module under src/
    commit: str | None = None  # git HEAD when the inventory was taken
    importable_modules: tuple[str, ...] = ()  # baseline: modules that imported
    skipped_cells: tuple[SkippedCell, ...] = ()  # notebook cells that are not Python
    # baseline: (module, issuing file, message) of each project DeprecationWarning on import
    import_warnings: tuple[tuple[str, str, str], ...] = ()
    # baseline: "contract-id: what breaks it" for every violation import-linter reported
    contract_violations: tuple[str, ...] = ()
    # baseline: node ids of the plan's tests that failed at step 1 (pre-existing for step 5)
    test_failures: tuple[str, ...] = ()
    preconditions: tuple[Precondition, ...] = ()  # step 1's check of the plan's preconditions
    work_in_flight: tuple[BranchWork, ...] = ()  # branches touching what the plan will change
    # modules with code of their own that also re-export names (``reexports``: those names)
    mixed: tuple[ShimLayer, ...] = ()

    @property
    def blocking_failures(self) -> tuple[ParseFailure, ...]:
        return tuple(failure for failure in self.parse_failures if failure.blocks)

    @property
    def skipped_files(self) -> tuple[ParseFailure, ...]:
        return tuple(failure for failure in self.parse_failures if not failure.blocks)

    @property
    def masked_files(self) -> tuple[str, ...]:
        """The files import-linter sees as empty modules (they do not parse)."""
        return tuple(failure.path for failure in self.parse_failures if failure.masked)


@dataclass(frozen=True)
class Moves:
    """Where names and modules go: the only input the rewriters need.

    ``names[(old_module, name)] = new_module`` moves a name; ``modules[old_module] = new_module``
    moves whole-module references (``import old``, ``"old"`` strings) when every name of
    ``old_module`` lands in one module. A module absent from ``modules`` but present in ``names``
    can still be rewritten wherever its uses are name-level.
    """

    names: Mapping[tuple[str, str], str] = field(default_factory=dict)
    modules: Mapping[str, str] = field(default_factory=dict)
    # modules that stay: a reference to one of them as a module object (``sys.modules[...] is m``,
    # ``register(m)``) keeps pointing at it rather than failing the rewrite
    kept: frozenset[str] = frozenset()
    # ``renames[(old_module, name)] = original``: the name is called ``original`` in its new
    # module (the shim re-exported it under an alias, ``from core import compute_price as price``)
    renames: Mapping[tuple[str, str], str] = field(default_factory=dict)
    # ``stars[old] = (m1, ...)``: ``from old import *`` becomes ``from m1 import *`` (one statement
    # per module, in order); together they bind exactly the names ``old`` bound, to the same objects
    stars: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # modules with code of their own that stay (also in ``kept``) but lose the re-exports of
    # their moved names: every use of such a name through them moves, their own names stay
    mixed: frozenset[str] = frozenset()

    def new_name(self, module: str, name: str) -> str:
        return self.renames.get((module, name), name)

    def old_modules(self) -> frozenset[str]:
        return self._old_modules

    @cached_property
    def _old_modules(self) -> frozenset[str]:  # asked once per string literal of a rewrite
        return (
            frozenset(module for module, _ in self.names)
            | frozenset(self.modules)
            | frozenset(self.stars)
        )


class ChangeKind(enum.Enum):
    """What a whole-file change does."""

    SOURCE = "source"  # a Python file's imports, uses and strings rewritten (by an ``Engine``)
    DOCSTRING = "docstring"  # only the code examples of its docstrings
    NOTEBOOK = "notebook"  # the code cells of a notebook
    SHIM = "shim"  # a kept shim in its canonical form
    DELETE = "delete"  # a retired shim
    REEXPORTS = "reexports"  # a module's re-exports of moved names repointed
    CHANGELOG = "changelog"
    PLAN_DOC = "plan-doc"
    CONTRACTS = "contracts"  # the ``.importlinter`` file
    ADOPT = "adopt"  # a file the kit adds to a project adopting it
    MIGRATION = "migration"  # the difference between two trees

    def __repr__(self) -> str:  # as written in code: a change set's repr reads back
        return f"ChangeKind.{self.name}"


class Engine(enum.Enum):
    """What rewrote a Python file: Bowler (fissix) first, LibCST where fissix cannot parse."""

    BOWLER = "bowler"
    LIBCST = "libcst"

    def __repr__(self) -> str:
        return f"Engine.{self.name}"


@dataclass(frozen=True)
class FileChange:
    """A whole-file change; ``new_text`` None deletes the file, ``old_text`` None creates it."""

    path: str
    old_text: str | None
    new_text: str | None
    kind: ChangeKind = ChangeKind.SOURCE
    encoding: str = "utf-8"  # how ``old_text``/``new_text`` map to the bytes on disk
    engine: Engine | None = None  # for a ``SOURCE`` change: which engine made it


@dataclass(frozen=True)
class ChangeSet:
    changes: tuple[FileChange, ...]

    @property
    def empty(self) -> bool:
        return not self.changes

    def undone(self) -> ChangeSet:
        """The change set that takes a tree this one was applied to back to before it."""
        return ChangeSet(
            tuple(replace(c, old_text=c.new_text, new_text=c.old_text) for c in self.changes)
        )
