"""Rewrite many files, in parallel across cores when there is enough work to pay for it.

Each file is rewritten and prepared for the post-rewrite check where it is rewritten: the result
is parsed, and the uses of imported names are counted on both sides as the imports bind them
(``analysis.import_uses``). Only resolving those uses needs the whole codebase, so the caller
does that last, cheap half (``analysis.resolve_uses`` then :func:`compare_uses`).

Worker processes are forked when the work is started (:func:`start_rewrites`), before the caller
shows progress: no thread of the caller is running while they are made. The caller's objects are
frozen out of garbage collection meanwhile (``gc.freeze``), so that the workers never walk them.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, replace
from functools import partial

from shimkit.analysis import ImportUse, import_uses
from shimkit.domain import shortcuts
from shimkit.domain.errors import doing
from shimkit.domain.model import ChangeKind, Engine, Moves

from .bowler_engine import prepare_bowler
from .check import Repointed, check_texts, parse_problems
from .docstrings import rewrite_examples
from .errors import RewriteError
from .notebook import rewrite_notebook
from .source import rewrite_source

# below this much work the pool costs more than it saves
POOL_MIN_FILES = 20
POOL_MIN_CHARS = 1_000_000
BATCHES_PER_WORKER = 4


@dataclass(frozen=True)
class FileTask:
    path: str
    text: str
    module: str | None  # the file's dotted module (None outside the import root)
    is_package: bool


@dataclass(frozen=True)
class Rewritten:
    """Success: the file changed; ``engine`` rewrote its code (None: only docstrings or cells)."""

    kind: ChangeKind
    engine: Engine | None = None


@dataclass(frozen=True)
class Unchanged:
    """Skip: nothing in the file reaches a moved name."""


@dataclass(frozen=True)
class NotRewritten:
    """Failure: a reference cannot be rewritten, or the file cannot be parsed."""

    message: str  # the RewriteError, as its message


RewriteResult = Rewritten | Unchanged | NotRewritten
UNCHANGED = Unchanged()


@dataclass(frozen=True)
class FileRewrite:
    """The rewritten text of one file and what the check needs of it.

    ``uses_before``/``uses_after`` are None when there is nothing to compare: the file did not
    change, is a notebook, or one side does not parse with this Python's ``ast`` (``problems``
    then says why, if it is the result). The uses of ``repointed`` imports are not in them: the
    caller checks that each reaches the same definition from its new module
    (:func:`repointing_problems`)."""

    path: str
    text: str
    result: RewriteResult
    problems: tuple[str, ...] = ()
    uses_before: Counter[ImportUse] | None = None
    uses_after: Counter[ImportUse] | None = None
    repointed: tuple[Repointed, ...] = ()  # imports whose uses were not counted: compare these
    notes: tuple[str, ...] = ()  # docstring examples left for a person, with why

    @property
    def changed(self) -> bool:
        return isinstance(self.result, Rewritten)

    @property
    def error(self) -> str:
        """Why the file cannot be rewritten ("" when it can)."""
        return self.result.message if isinstance(self.result, NotRewritten) else ""

    @property
    def kind(self) -> ChangeKind:
        if not isinstance(self.result, Rewritten):
            raise ValueError(f"{self.path} was not rewritten: it makes no change")
        return self.result.kind

    @property
    def engine(self) -> Engine | None:
        return self.result.engine if isinstance(self.result, Rewritten) else None


def rewrite_file(task: FileTask, moves: Moves) -> FileRewrite:
    """Rewrite one file and prepare its check (pure: text in, text and counts out); then the
    code examples of its docstrings, which bind nothing the check counts."""
    with doing("rewriting", task.path):
        rewrite = _rewrite_code(task, moves)
        if isinstance(rewrite.result, NotRewritten) or task.path.endswith(".ipynb"):
            return rewrite
        examples = rewrite_examples(rewrite.text, task.path, moves, task.module, task.is_package)
        if examples.text == rewrite.text and not examples.notes:
            return rewrite
        result = rewrite.result
        if isinstance(result, Unchanged) and examples.text != rewrite.text:
            result = Rewritten(ChangeKind.DOCSTRING)
        return replace(rewrite, text=examples.text, result=result, notes=examples.notes)


def _rewrite_code(task: FileTask, moves: Moves) -> FileRewrite:
    try:
        if task.path.endswith(".ipynb"):
            text = rewrite_notebook(task.text, task.path, moves)
            changed = Rewritten(ChangeKind.NOTEBOOK) if text != task.text else UNCHANGED
            return FileRewrite(task.path, text, changed)
        outcome = rewrite_source(task.text, task.path, moves, task.module, task.is_package)
    except RewriteError as error:
        return FileRewrite(task.path, task.text, NotRewritten(str(error)))
    if outcome.engine is None:
        return FileRewrite(task.path, task.text, UNCHANGED)
    done = Rewritten(ChangeKind.SOURCE, outcome.engine)
    repoint = shortcuts.enabled()  # else every use of a repointed import is compared
    texts = check_texts(task.text, outcome.text, outcome, task.module, task.is_package, repoint)
    problems, before, after = parse_problems(texts, task.module, task.is_package)
    if before is None or after is None:
        return FileRewrite(task.path, outcome.text, done, problems=tuple(problems))
    return FileRewrite(
        task.path,
        outcome.text,
        done,
        problems=tuple(problems),
        uses_before=import_uses(before, task.module, task.is_package),
        uses_after=import_uses(after, task.module, task.is_package),
        repointed=texts.repointed,
    )


def worth_a_pool(tasks: Sequence[FileTask]) -> bool:
    return len(tasks) >= POOL_MIN_FILES or sum(len(t.text) for t in tasks) >= POOL_MIN_CHARS


def start_rewrites(
    tasks: Sequence[FileTask], moves: Moves, jobs: int | None = None
) -> Iterator[FileRewrite]:
    """Start rewriting ``tasks`` now; the results come as they are done (in any order).

    Uses ``jobs`` worker processes (default: one per core) when there is enough work and more
    than one core, else rewrites in this process as the results are asked for.
    """
    jobs = jobs or os.cpu_count() or 1
    if jobs < 2 or not worth_a_pool(tasks) or "fork" not in multiprocessing.get_all_start_methods():
        return (rewrite_file(task, moves) for task in tasks)
    prepare_bowler()  # compiled here once, inherited by every worker
    # the objects this process holds (the analysis of a whole tree) are left out of the workers'
    # garbage collections: walking them would copy every page of them into every worker
    # (where the run holds them apart already, they stay so after: ``analysis.memory``)
    held = gc.get_freeze_count() > 0
    gc.freeze()
    pool = ProcessPoolExecutor(
        max_workers=min(jobs, len(tasks)), mp_context=multiprocessing.get_context("fork")
    )
    work = partial(_rewrite_batch, moves=moves)
    futures = [pool.submit(work, batch) for batch in _batches(tasks, jobs)]
    return _completed(pool, futures, held)


def _rewrite_batch(tasks: Sequence[FileTask], moves: Moves) -> list[FileRewrite]:
    return [rewrite_file(task, moves) for task in tasks]


def _batches(tasks: Sequence[FileTask], jobs: int) -> list[list[FileTask]]:
    """Tasks in batches of about equal text, a few per worker (one message per batch, not per
    file); the largest files first, so that no worker is left with a big one at the end."""
    ordered = sorted(tasks, key=lambda task: len(task.text), reverse=True)
    share = sum(len(task.text) for task in tasks) / (jobs * BATCHES_PER_WORKER)
    batches: list[list[FileTask]] = [[]]
    size = 0
    for task in ordered:
        if batches[-1] and size + len(task.text) > share:
            batches.append([])
            size = 0
        batches[-1].append(task)
        size += len(task.text)
    return batches


def _completed(
    pool: ProcessPoolExecutor, futures: list[Future[list[FileRewrite]]], held: bool
) -> Iterator[FileRewrite]:
    try:
        for future in as_completed(futures):
            yield from future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        if not held:
            gc.unfreeze()


__all__ = [
    "FileRewrite",
    "FileTask",
    "NotRewritten",
    "RewriteResult",
    "Rewritten",
    "Unchanged",
    "rewrite_file",
    "start_rewrites",
    "worth_a_pool",
]
