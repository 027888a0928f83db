"""What an import check is given (``ImportBatch``) and what it reports about each module, built
from what the module's child process left."""

from __future__ import annotations

import enum
import os
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from shimkit.system.processes import tail

__all__ = [
    "DeprecationRecord",
    "ImportBatch",
    "ModuleSmoke",
    "SmokeOutcome",
    "SmokeReport",
    "module_smoke",
]


@dataclass(frozen=True)
class ImportBatch:
    """Modules to import, each on its own, and how."""

    root: Path  # the working directory of every import (real path)
    src_dir: Path  # the import root: a file under it is a project file
    modules: tuple[tuple[str, tuple[str, ...]], ...]  # (module, names it must re-export)
    env: Mapping[str, str]
    jobs: int  # imports at once
    timeout: float  # seconds before an import is killed
    changed: tuple[str, ...] = ()  # modules the change touched: a record says which it reached
    # what each module imports when it is imported (the import graph), when ``modules`` are in
    # dependency order: the fork server then imports them all in one interpreter first and
    # imports on its own only what that cannot vouch for (``smoke_shared``); None: each alone
    edges: Mapping[str, tuple[str, ...]] | None = None
    # modules of ``modules`` imported in that one interpreter only to enter import cycles as a
    # whole check does (a module that imports fine, before those that fail): no record of them
    # is wanted, and none is imported on its own
    context: frozenset[str] = frozenset()
    # a folder for the code of the project's modules, compiled once for every process of the
    # check (``smoke_child._CodeCache``); None: each process compiles what it imports
    code_cache: Path | None = None
    # the free bytes of the code cache's file system below which it takes no more (0: no limit)
    code_cache_floor: int = 0
    # the change as the child sees it (``analysis.undone.UndoneSide.to_json``): a failure then
    # says whether the import did the same with the change undone; None: it is not asked
    undone: Mapping[str, Any] | None = None


class SmokeOutcome(enum.Enum):
    OK = "ok"
    IMPORT_ERROR = "import-error"
    DEPRECATION = "deprecation"
    NONE_REEXPORT = "none-reexport"


@dataclass(frozen=True)
class DeprecationRecord:
    """A DeprecationWarning issued by a project file while the module was imported."""

    message: str
    path: str  # relative to root when under it
    line: int
    category: str = "DeprecationWarning"  # its class, module-qualified unless builtin


@dataclass(frozen=True)
class ModuleSmoke:
    module: str
    outcome: SmokeOutcome
    message: str = ""
    path: str | None = None  # where it went wrong (project file), relative to root
    line: int | None = None
    deprecations: tuple[DeprecationRecord, ...] = ()
    bad_names: tuple[tuple[str, str], ...] = ()  # (name, "None" | "missing")
    seconds: float = 0.0
    # the changed modules (``ImportBatch.changed``) the import asked for; None: not known (the
    # child died before it could say)
    reached: tuple[str, ...] | None = None
    # whether the import ran, with the change undone, the same code in the same order up to its
    # end (``ImportBatch.undone``; proven by the child while it ran): "" it did, else why that is
    # not proven; None: not asked
    undone: str | None = None

    @property
    def same_undone(self) -> bool:
        return self.undone == ""

    @property
    def ok(self) -> bool:
        return self.outcome is SmokeOutcome.OK

    def without_bad_names(self, known: Collection[tuple[str, str]]) -> ModuleSmoke:
        """This result with the ``known`` unusable re-exports no longer counted against it: a
        result that was only those is OK; one that also warns or failed keeps its outcome."""
        left = tuple(bad for bad in self.bad_names if bad not in known)
        if left == self.bad_names:
            return self
        if self.outcome is not SmokeOutcome.NONE_REEXPORT:
            return replace(self, bad_names=left)
        if not left:
            return replace(self, outcome=SmokeOutcome.OK, message="", bad_names=())
        return replace(self, message=unusable_names(left), bad_names=left)


def one_line(message: str) -> str:
    """A failure's message on one line, its lines joined by `` | ``: it is printed in a note, where
    a line of its own (a ``setup.py``'s ``error: invalid command``) would read as the kit's."""
    return " | ".join(line.rstrip() for line in message.splitlines() if line.strip())


_ADDRESS = re.compile(r"\b0x[0-9a-fA-F]+\b")


def same_failure(after: ModuleSmoke, before: ModuleSmoke) -> bool:
    """Whether two failed imports of a module failed the same way: the same exception with the
    same message, object addresses aside (they differ from one process to the next). Where it
    was raised is not compared: a rewrite moves lines."""
    return _ADDRESS.sub("0x", after.message) == _ADDRESS.sub("0x", before.message)


def unusable_names(bad: Sequence[tuple[str, str]]) -> str:
    return "re-exported names unusable: " + ", ".join(f"{n} ({k})" for n, k in bad)


@dataclass(frozen=True)
class SmokeReport:
    results: tuple[ModuleSmoke, ...]  # in the order the modules were given
    notes: tuple[str, ...] = ()  # how the check ran, for a person: fallbacks, purged modules
    in_one_interpreter: int = 0  # records the one-interpreter pass vouched for (the rest: alone)

    @property
    def ok(self) -> bool:
        return all(result.ok for result in self.results)

    @property
    def failures(self) -> tuple[ModuleSmoke, ...]:
        return tuple(result for result in self.results if not result.ok)

    def count(self, outcome: SmokeOutcome) -> int:
        return sum(1 for result in self.results if result.outcome is outcome)


def module_smoke(
    root: Path,
    module: str,
    record: Mapping[str, Any] | None,
    *,
    stderr: str = "",
    status: int | None = None,
    timeout: float | None = None,
    seconds: float = 0.0,
) -> ModuleSmoke:
    """The outcome of importing ``module``: from the child's ``record`` when it wrote one, else an
    import error (``timeout`` set: it was killed after that long; otherwise it died, and its last
    stderr line or its exit status says how)."""
    if timeout is not None:
        message = f"import did not finish within {timeout:g} s"
        return ModuleSmoke(module, SmokeOutcome.IMPORT_ERROR, message, seconds=seconds)
    if record is None:
        last = tail(stderr, 1) or f"interpreter exited with status {status}"
        return ModuleSmoke(module, SmokeOutcome.IMPORT_ERROR, last, seconds=seconds)
    return _interpret(root, module, record, seconds)


def _relative(root: Path, path: str) -> str:
    try:
        return Path(os.path.realpath(path)).relative_to(root).as_posix()
    except ValueError:
        return path


def _interpret(root: Path, module: str, data: Mapping[str, Any], seconds: float) -> ModuleSmoke:
    deprecations = tuple(
        DeprecationRecord(
            str(d["message"]),
            _relative(root, str(d["path"])),
            int(d["line"] or 0),
            str(d.get("category", "DeprecationWarning")),
        )
        for d in data.get("deprecations", [])
    )
    bad = tuple((str(name), str(kind)) for name, kind in data.get("bad_names", []))
    path = _relative(root, str(data["path"])) if data.get("path") else None
    line = int(data["line"]) if data.get("line") else None
    if data.get("outcome") == "import-error":
        outcome, message = SmokeOutcome.IMPORT_ERROR, one_line(str(data.get("message", "")))
    elif deprecations:
        first = deprecations[0]
        outcome, message = SmokeOutcome.DEPRECATION, f"DeprecationWarning: {first.message}"
        path, line = first.path, first.line
    elif bad:
        outcome = SmokeOutcome.NONE_REEXPORT
        message = unusable_names(bad)
    else:
        outcome, message = SmokeOutcome.OK, ""
    reached = tuple(str(name) for name in data.get("reached", ()))
    undone = data.get("undone")
    return ModuleSmoke(
        module,
        outcome,
        message,
        path,
        line,
        deprecations,
        bad,
        seconds,
        reached,
        None if undone is None else str(undone),
    )
