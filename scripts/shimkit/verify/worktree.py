"""A throw-away git worktree of a commit, for re-running things against the baseline."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from shimkit.domain.errors import KitError
from shimkit.domain.folders import outside_content
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
                _copy_generated_modules(root, path)
                yield path
            finally:
                run_git(root, "worktree", "remove", "--force", str(path))
    finally:
        run_git(root, "worktree", "prune")


def _copy_generated_modules(root: Path, tree: Path) -> None:
    """Python files git ignores but the tree has (a version module setuptools-scm writes, say)
    are part of what imports: without them the worktree's package does not import, and every
    test would fail there "before the change" too."""
    listed = run_git(root, "ls-files", "--others", "--ignored", "--exclude-standard", "-z")
    if listed.returncode != 0:
        return
    for relative in filter(None, os.fsdecode(listed.stdout).split("\0")):
        target = tree / relative
        wanted = relative.endswith(".py") and not outside_content(Path(relative).parts)
        if wanted and not target.exists() and (root / relative).is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(root / relative, target)  # a scratch tree: no atomic write needed
