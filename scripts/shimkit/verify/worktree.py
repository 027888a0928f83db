"""A throw-away git worktree of a commit, for re-running things against the baseline."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from shimkit.domain.errors import KitError
from shimkit.system.git import last_error, run_git
from shimkit.system.scratch import scratch_dir

__all__ = ["WorktreeError", "temporary_worktree"]


class WorktreeError(KitError):
    """git could not create the worktree."""


@contextmanager
def temporary_worktree(root: Path, commit: str) -> Iterator[Path]:
    """Check ``commit`` out (detached) in a temporary directory; always removed and pruned (by
    the next run, if this one is killed: the directory is a scratch folder this run owns)."""
    root = Path(root)
    try:
        with scratch_dir("worktree") as holder:
            path = holder / "tree"
            try:
                result = run_git(root, "worktree", "add", "--detach", "--quiet", str(path), commit)
                if result.returncode != 0:
                    reason = last_error(result)
                    raise WorktreeError(f"cannot check out {commit} in a worktree: {reason}")
                yield path
            finally:
                run_git(root, "worktree", "remove", "--force", str(path))
    finally:
        run_git(root, "worktree", "prune")
