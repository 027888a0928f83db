"""Import every module in a fresh interpreter: no import error, no project DeprecationWarning, no
re-exported name that is None or missing."""

from __future__ import annotations

import enum
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shimkit.system.processes import child_env, run_child, tail

__all__ = ["DeprecationRecord", "ModuleSmoke", "SmokeOutcome", "SmokeReport", "smoke_modules"]

_MARKER = "@@shimkit-smoke@@"

# Runs in the child: argv = [module, src_dir, json(names)]. ``warnings.warn`` is wrapped before the
# import so that a warning is attributed to the file that *issued* it, whatever its stacklevel.
_CHILD = r"""
import importlib, json, os, sys, traceback, warnings

module, src_dir, names = sys.argv[1], os.path.realpath(sys.argv[2]), json.loads(sys.argv[3])
issuers = {}
log = None
_original_warn = warnings.warn

def _warn(message, category=None, stacklevel=1, source=None, **kwargs):
    frame = sys._getframe(1)
    before = len(log) if log is not None else 0
    try:
        return _original_warn(message, category, stacklevel + 1, source, **kwargs)
    finally:
        if log is not None:
            for index in range(before, len(log)):
                issuers[index] = (frame.f_code.co_filename, frame.f_lineno)

warnings.warn = _warn

def in_src(path):
    try:
        real = os.path.realpath(path)
    except (TypeError, ValueError):
        return False
    return real == src_dir or real.startswith(src_dir + os.sep)

result = {"outcome": "ok", "message": "", "path": None, "line": None,
          "deprecations": [], "bad_names": []}
with warnings.catch_warnings(record=True) as log:
    warnings.simplefilter("always")
    try:
        imported = importlib.import_module(module)
    except BaseException as exc:
        imported = None
        result["outcome"] = "import-error"
        result["message"] = traceback.format_exception_only(type(exc), exc)[-1].strip()
        where = None
        for frame, line in traceback.walk_tb(exc.__traceback__):
            if in_src(frame.f_code.co_filename):
                where = (frame.f_code.co_filename, line)
        if isinstance(exc, SyntaxError) and exc.filename and in_src(exc.filename):
            where = (exc.filename, exc.lineno)
        if where:
            result["path"], result["line"] = where
    recorded = list(log)

for index, item in enumerate(recorded):
    if not issubclass(item.category, DeprecationWarning):
        continue
    path, line = issuers.get(index, (item.filename, item.lineno))
    if in_src(path):
        result["deprecations"].append({"message": str(item.message), "path": path, "line": line})

if imported is not None:
    for name in names:
        if not hasattr(imported, name):
            result["bad_names"].append([name, "missing"])
        elif getattr(imported, name) is None:
            result["bad_names"].append([name, "None"])

sys.stdout.write("\n" + MARKER + json.dumps(result) + "\n")
sys.stdout.flush()
os._exit(0)
""".replace("MARKER", repr(_MARKER))


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

    @property
    def ok(self) -> bool:
        return self.outcome is SmokeOutcome.OK


@dataclass(frozen=True)
class SmokeReport:
    results: tuple[ModuleSmoke, ...]  # in the order the modules were given

    @property
    def ok(self) -> bool:
        return all(result.ok for result in self.results)

    @property
    def failures(self) -> tuple[ModuleSmoke, ...]:
        return tuple(result for result in self.results if not result.ok)

    def count(self, outcome: SmokeOutcome) -> int:
        return sum(1 for result in self.results if result.outcome is outcome)


def _relative(root: Path, path: str) -> str:
    try:
        return Path(os.path.realpath(path)).relative_to(root).as_posix()
    except ValueError:
        return path


def _interpret(root: Path, module: str, data: Mapping[str, Any], seconds: float) -> ModuleSmoke:
    deprecations = tuple(
        DeprecationRecord(str(d["message"]), _relative(root, str(d["path"])), int(d["line"] or 0))
        for d in data.get("deprecations", [])
    )
    bad = tuple((str(name), str(kind)) for name, kind in data.get("bad_names", []))
    path = _relative(root, str(data["path"])) if data.get("path") else None
    line = int(data["line"]) if data.get("line") else None
    if data.get("outcome") == "import-error":
        outcome, message = SmokeOutcome.IMPORT_ERROR, str(data.get("message", ""))
    elif deprecations:
        first = deprecations[0]
        outcome, message = SmokeOutcome.DEPRECATION, f"DeprecationWarning: {first.message}"
        path, line = first.path, first.line
    elif bad:
        outcome = SmokeOutcome.NONE_REEXPORT
        message = "re-exported names unusable: " + ", ".join(f"{n} ({k})" for n, k in bad)
    else:
        outcome, message = SmokeOutcome.OK, ""
    return ModuleSmoke(module, outcome, message, path, line, deprecations, bad, seconds)


def _smoke_one(
    root: Path,
    src_dir: Path,
    module: str,
    names: Sequence[str],
    env: Mapping[str, str],
    timeout: float,
) -> ModuleSmoke:
    started = time.monotonic()
    command = [sys.executable, "-P", "-c", _CHILD, module, str(src_dir), json.dumps(list(names))]
    try:
        process = run_child(command, root, env, timeout)
    except subprocess.TimeoutExpired:
        elapsed = time.monotonic() - started
        message = f"import did not finish within {timeout:g} s"
        return ModuleSmoke(module, SmokeOutcome.IMPORT_ERROR, message, seconds=elapsed)
    elapsed = time.monotonic() - started
    for line in reversed(process.stdout.splitlines()):
        if line.startswith(_MARKER):
            return _interpret(root, module, json.loads(line[len(_MARKER) :]), elapsed)
    last = tail(process.stderr, 1) or f"interpreter exited with status {process.returncode}"
    return ModuleSmoke(module, SmokeOutcome.IMPORT_ERROR, last, seconds=elapsed)


def smoke_modules(
    root: Path,
    src: str,
    modules: Sequence[str],
    reexports: Mapping[str, Sequence[str]] | None = None,
    jobs: int = 2,
    on_progress: Callable[[int, int], None] | None = None,
    *,
    extra_paths: Sequence[Path | str] = (),
    timeout: float = 300.0,
) -> SmokeReport:
    """Import each module in its own fresh interpreter (``jobs`` at a time) and report outcomes.

    ``PYTHONPATH`` is ``<root>/<src>`` followed by ``extra_paths``. ``on_progress(done, total)`` is
    called from the calling thread after each module finishes.
    """
    root = Path(os.path.realpath(root))
    src_dir = root / src
    reexports = reexports or {}
    env = child_env([src_dir, *extra_paths])
    unique = list(dict.fromkeys(modules))
    total = len(unique)
    results: dict[str, ModuleSmoke] = {}
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {
            pool.submit(
                _smoke_one, root, src_dir, module, reexports.get(module, ()), env, timeout
            ): module
            for module in unique
        }
        for done, future in enumerate(as_completed(futures), start=1):
            results[futures[future]] = future.result()
            if on_progress is not None:
                on_progress(done, total)
    return SmokeReport(tuple(results[module] for module in unique))
