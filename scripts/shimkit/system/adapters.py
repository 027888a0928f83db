"""The local machine behind the application's ports (``shimkit.application.ports``): git, the
file system and processes, each a thin class over the one copy of the call in ``system``."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Collection
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TypeVar

from shimkit.domain.model import BranchWork
from shimkit.domain.step_commit import StepCommit
from shimkit.system import git, git_history
from shimkit.system.git_content import content_ids
from shimkit.system.scratch import remove_orphaned_scratch, scratch_dir
from shimkit.system.tree_copy import scratch_copy, scratch_copy_ahead

T = TypeVar("T")


class LocalGit:
    def tracked_files(self, root: Path) -> tuple[str, ...] | None:
        return git.tracked_files(root)

    def changed_since(self, root: Path, commit: str) -> tuple[str, ...] | None:
        return git.changed_since(root, commit)

    def content_ids(self, root: Path, commit: str | None = None) -> dict[str, str] | None:
        return content_ids(root, commit)

    def snapshot(self, root: Path, message: str, borrow: Path | None = None) -> str:
        return git.snapshot(root, message, borrow)

    def prune_worktrees(self, root: Path) -> None:
        git.run_git(root, "worktree", "prune")

    def file_at(self, root: Path, commit: str, path: str) -> bytes | None:
        return git_history.file_at(root, commit, path)

    def differing_files(self, root: Path, commit: str, paths: Collection[str]) -> tuple[str, ...]:
        return git_history.differing_files(root, commit, paths)

    def step_commits(self, root: Path) -> tuple[StepCommit, ...]:
        return git_history.step_commits(root)

    def later_commits_touching(
        self, root: Path, commit: StepCommit, excluded: Collection[str]
    ) -> list[tuple[str, str, tuple[str, ...]]]:
        return git_history.later_commits_touching(root, commit, excluded)

    def branches_in_flight(self, root: Path, paths: Collection[str]) -> tuple[BranchWork, ...]:
        return git_history.branches_in_flight(root, paths)


class LocalFileSystem:
    def scratch_copy(
        self, purpose: str, source: Path, left_out: Collection[str]
    ) -> AbstractContextManager[Path]:
        return scratch_copy(purpose, source, left_out)

    def scratch_copy_ahead(
        self, purpose: str, source: Path, left_out: Collection[str], then: Callable[[Path], T]
    ) -> AbstractContextManager[Callable[[], tuple[Path, T]]]:
        return scratch_copy_ahead(purpose, source, left_out, then)

    def scratch_dir(self, purpose: str) -> AbstractContextManager[Path]:
        return scratch_dir(purpose)

    def remove_orphaned_scratch(self) -> list[Path]:
        return remove_orphaned_scratch()


class LocalProcesses:
    def which(self, program: str) -> str | None:
        return shutil.which(program)
