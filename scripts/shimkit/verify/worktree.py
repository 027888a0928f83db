"""A throw-away git worktree of a commit, for re-running things against the baseline."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from shimkit.domain.errors import KitError

__all__ = ["WorktreeError", "temporary_worktree"]


class WorktreeError(KitError):
    """git could not create the worktree."""


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("GIT_DIR", "GIT_WORK_TREE")}
    return subprocess.run(
        ["git", *args],
        cwd=root,
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
    )


@contextmanager
def temporary_worktree(root: Path, commit: str) -> Iterator[Path]:
    """Check ``commit`` out (detached) in a temporary directory; always removed and pruned."""
    holder = Path(tempfile.mkdtemp(prefix="shimkit-worktree-"))
    path = holder / "tree"
    try:
        result = _git(Path(root), "worktree", "add", "--detach", "--quiet", str(path), commit)
        if result.returncode != 0:
            lines = result.stderr.strip().splitlines()
            reason = lines[-1] if lines else f"git exited with {result.returncode}"
            raise WorktreeError(f"cannot check out {commit} in a worktree: {reason}")
        yield path
    finally:
        _git(Path(root), "worktree", "remove", "--force", str(path))
        shutil.rmtree(holder, ignore_errors=True)
        _git(Path(root), "worktree", "prune")
