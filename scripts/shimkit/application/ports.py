"""What the use cases need from the outside world, as protocols: the reporter the command line
implements, and git, the file system and processes, which ``shimkit.system`` implements
(``shimkit.system.adapters``) and ``shimkit.application.run_context`` wires in one place."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

from shimkit.domain.model import BranchWork, ChangeSet, Inventory
from shimkit.domain.step_commit import StepCommit
from shimkit.planning.checks import CheckRow

T = TypeVar("T")


class Progress(Protocol):
    def advance(self, description: str = "") -> None: ...


class Reporter(Protocol):
    """Everything a run shows a person. Implementations decide how it looks."""

    def heading(self, text: str) -> None: ...

    def info(self, text: str) -> None: ...

    def warning(self, text: str) -> None: ...

    def inventory(self, inventory: Inventory) -> None: ...

    def changes(self, changes: ChangeSet) -> None: ...

    def checks(self, title: str, rows: Sequence[CheckRow]) -> None: ...

    def table(self, title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None: ...

    def progress(self, description: str, total: int) -> AbstractContextManager[Progress]: ...


class Git(Protocol):
    """What the engine asks git outside ``apply`` (which owns the writes to a user's repository)."""

    def tracked_files(self, root: Path) -> tuple[str, ...] | None:
        """The files git tracks under ``root``; None when it is not a git work tree."""
        ...

    def changed_since(self, root: Path, commit: str) -> tuple[str, ...] | None:
        """Paths under ``root`` that differ from ``commit`` (untracked ones included); None when
        git cannot tell."""
        ...

    def content_ids(self, root: Path, commit: str | None = None) -> dict[str, str] | None:
        """Path -> blob id of every file git sees under ``root`` (or in ``commit``)."""
        ...

    def snapshot(self, root: Path, message: str, borrow: Path | None = None) -> str:
        """Make ``root`` (a copy the run owns) a repository of one commit; return it.
        ``borrow``: the repository it is a copy of, whose objects it reads instead of writing
        its own."""
        ...

    def prune_worktrees(self, root: Path) -> None:
        """Forget worktrees whose folders are gone."""
        ...

    def file_at(self, root: Path, commit: str, path: str) -> bytes | None:
        """``path`` as ``commit`` had it; None when it had no such file."""
        ...

    def differing_files(self, root: Path, commit: str, paths: Collection[str]) -> tuple[str, ...]:
        """Which of ``paths`` differ between ``commit`` and the work tree."""
        ...

    def step_commits(self, root: Path) -> tuple[StepCommit, ...]:
        """The kit's step commits in HEAD's history that no later commit reverts, newest first."""
        ...

    def later_commits_touching(
        self, root: Path, commit: StepCommit, excluded: Collection[str]
    ) -> list[tuple[str, str, tuple[str, ...]]]:
        """``(sha, subject, files)`` of later commits touching a file ``commit`` touched."""
        ...

    def branches_in_flight(self, root: Path, paths: Collection[str]) -> tuple[BranchWork, ...]:
        """Branches with commits not in HEAD that touch ``paths``."""
        ...


class FileSystem(Protocol):
    def scratch_copy(
        self, purpose: str, source: Path, left_out: Collection[str]
    ) -> AbstractContextManager[Path]:
        """A copy of ``source`` (named as it; symlinks as links, modes and times kept, folders
        and files named in ``left_out`` left out) in a fresh temporary folder this process
        owns (maybe in memory); removed on leaving, maybe after, by a process of its own that
        owns it meanwhile."""
        ...

    def scratch_copy_ahead(
        self, purpose: str, source: Path, left_out: Collection[str], then: Callable[[Path], T]
    ) -> AbstractContextManager[Callable[[], tuple[Path, T]]]:
        """``scratch_copy``, then ``then(copy)``, begun now by a process of their own while
        this one goes on: the block gets a function that waits for both and returns the copy
        and what ``then`` returned (raising what either raised)."""
        ...

    def scratch_dir(self, purpose: str) -> AbstractContextManager[Path]:
        """A fresh temporary folder this process owns, removed on leaving."""
        ...

    def remove_orphaned_scratch(self) -> list[Path]:
        """Remove the temporary folders of runs that were killed; return them."""
        ...


class Processes(Protocol):
    def which(self, program: str) -> str | None:
        """Where ``program`` is found on PATH, None when it is not."""
        ...


@dataclass(frozen=True)
class Ports:
    git: Git
    files: FileSystem
    processes: Processes
