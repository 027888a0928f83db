"""Import each module on its own and check it: no import error, no project DeprecationWarning, no
re-exported name that is None or missing.

Two ways to give each module a clean process. *Fork* (the default where ``os.fork`` exists): one
server interpreter loads the non-project modules the project imports, then forks a child per
module, so the third-party packages (a big framework takes seconds) load once. *Fresh*: one new
interpreter per module, today's way and the fallback where fork is unavailable or unsafe.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from shimkit.analysis.import_graph import ImportOrder
from shimkit.domain import shortcuts
from shimkit.domain.phases import IMPORT_CHECKS, timed
from shimkit.system.processes import child_env, run_child
from shimkit.system.scratch import scratch_in_memory
from shimkit.verify.fork_server import (
    CHILD_SCRIPT,
    ServerUnavailable,
    fork_available,
    import_forked,
)
from shimkit.verify.smoke_child import MARKER
from shimkit.verify.smoke_report import (
    DeprecationRecord,
    ImportBatch,
    ModuleSmoke,
    SmokeOutcome,
    SmokeReport,
    module_smoke,
)

__all__ = [
    "DeprecationRecord",
    "ImportMode",
    "ModuleSmoke",
    "SmokeOutcome",
    "SmokeReport",
    "smoke_modules",
]

DEFAULT_TIMEOUT = 300.0


class ImportMode(enum.Enum):
    FORK = "fork"  # children forked from a server that loaded the third-party packages once
    FRESH = "fresh"  # one fresh interpreter per module


def _smoke_fresh(batch: ImportBatch, module: str, names: Sequence[str]) -> ModuleSmoke:
    started = time.monotonic()
    root, timeout = batch.root, batch.timeout
    command = [sys.executable, "-P", str(CHILD_SCRIPT), "fresh", module, str(batch.src_dir)]
    try:
        arguments = [
            json.dumps(list(names)),
            json.dumps(list(batch.changed)),
            json.dumps(batch.undone),
        ]
        process = run_child([*command, *arguments], root, batch.env, timeout)
    except subprocess.TimeoutExpired:
        return module_smoke(root, module, None, timeout=timeout, seconds=time.monotonic() - started)
    record = None
    for line in reversed(process.stdout.splitlines()):
        if line.startswith(MARKER):
            record = json.loads(line[len(MARKER) :])
            break
    return module_smoke(
        root,
        module,
        record,
        stderr=process.stderr,
        status=process.returncode,
        seconds=time.monotonic() - started,
    )


def _import_fresh(batch: ImportBatch, on_result: Callable[[ModuleSmoke], None]) -> None:
    with ThreadPoolExecutor(max_workers=batch.jobs) as pool:
        futures = [
            pool.submit(_smoke_fresh, batch, module, names) for module, names in batch.modules
        ]
        for future in as_completed(futures):
            on_result(future.result())


@contextlib.contextmanager
def _code_cache() -> Iterator[tuple[Path | None, int]]:
    """A folder, outside the tree, where the forked processes of one check keep the code of the
    project's modules they compiled, and the free bytes of its file system below which they
    keep no more (a shortcut: none without shortcuts)."""
    if not shortcuts.enabled():
        yield None, 0
        return
    # a folder the run owns (the next run removes it if this one is killed), in memory where it
    # can be (9,000 files at 30,000: on disk each pays for its inode), removed by a process of
    # its own: on a disk that discards freed blocks at once, each of its thousands of unlinks
    # waits a millisecond or more (13 s at 30,000 files under load)
    with scratch_in_memory("code-cache") as cache:
        yield cache


@timed(IMPORT_CHECKS)
def smoke_modules(
    root: Path,
    src: str,
    modules: Sequence[str],
    reexports: Mapping[str, Sequence[str]] | None = None,
    jobs: int | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    *,
    extra_paths: Sequence[Path | str] = (),
    timeout: float = DEFAULT_TIMEOUT,
    mode: ImportMode = ImportMode.FORK,
    preload: Sequence[str] = (),
    changed: Collection[str] = (),
    order: ImportOrder | None = None,
    context: Collection[str] = (),
    undone: Mapping[str, Any] | None = None,
) -> SmokeReport:
    """Import each module on its own (``jobs`` at a time, default: one per core) and report.

    ``PYTHONPATH`` is ``<root>/<src>`` followed by ``extra_paths``; the working directory is
    ``root``. In fork mode the server first imports ``preload`` (non-project modules: what the
    project's modules import); where fork is unavailable, or unsafe because preloading started a
    thread, the modules are imported in fresh interpreters and ``SmokeReport.notes`` says why.
    A module that runs longer than ``timeout`` seconds is killed and reported as an import error.
    ``on_progress(done, total)`` is called from the calling thread after each module finishes.
    Each result says which of the ``changed`` modules its import asked for (``reached``).
    ``context``: modules the one interpreter imports too, in the same order, so that it enters
    import cycles as a whole check does; none of them is reported or imported on its own.
    ``undone`` (``ImportBatch.undone``): a failure then says whether its import did the same with
    the change undone.
    """
    root = Path(os.path.realpath(root))
    reexports = reexports or {}
    unique = list(dict.fromkeys(modules))
    one_interpreter = order is not None and mode is ImportMode.FORK and shortcuts.enabled()
    extra = frozenset(context) - set(unique) if one_interpreter else frozenset()
    ordered = order.arranged([*unique, *extra]) if order is not None and one_interpreter else unique
    batch = ImportBatch(
        root=root,
        src_dir=root / src,
        modules=tuple((module, tuple(reexports.get(module, ()))) for module in ordered),
        env=child_env([root / src, *extra_paths]),
        jobs=max(1, jobs or os.cpu_count() or 1),
        timeout=timeout,
        changed=tuple(sorted(changed)),
        edges=order.edges if order is not None and one_interpreter else None,
        context=extra,
        undone=undone,
    )
    results: dict[str, ModuleSmoke] = {}
    notes: list[str] = []
    vouched = 0

    def finished(result: ModuleSmoke) -> None:
        results[result.module] = result
        if on_progress is not None:
            on_progress(len(results), len(unique))

    if mode is ImportMode.FORK and batch.modules:
        if not fork_available():
            notes.append("fork is not available here: one fresh interpreter per module")
        else:
            try:
                with _code_cache() as (cache, floor):
                    vouched = import_forked(
                        dataclasses.replace(batch, code_cache=cache, code_cache_floor=floor),
                        preload,
                        on_result=finished,
                        on_note=notes.append,
                    )
            except ServerUnavailable as reason:
                notes.append(f"{reason}: the remaining modules get one fresh interpreter each")
    remaining = tuple(m for m in batch.modules if m[0] not in results and m[0] not in extra)
    _import_fresh(dataclasses.replace(batch, modules=remaining), finished)
    return SmokeReport(tuple(results[module] for module in unique), tuple(notes), vouched)
