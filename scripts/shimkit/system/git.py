"""Every git call of the kit: git never reads a caller's GIT_DIR, and dies with the kit."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from shimkit.system.processes import run_bytes

__all__ = ["git_dir", "is_repo", "last_error", "run_git"]

_CALLER_SETTINGS = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE")


def run_git(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    """``git ARGS`` in ``root`` (C locale, no optional locks); exit 127 when git cannot run."""
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
    for name in _CALLER_SETTINGS:
        env.pop(name, None)
    try:
        return run_bytes(["git", *args], Path(root), env)
    except OSError as error:  # git missing, or root not a directory
        return subprocess.CompletedProcess(["git", *args], 127, b"", str(error).encode())


def last_error(result: subprocess.CompletedProcess[bytes]) -> str:
    """git's last line on stderr (its reason), else its exit status."""
    lines = result.stderr.decode(errors="replace").strip().splitlines()
    return lines[-1] if lines else f"git exited with {result.returncode}"


def is_repo(root: Path) -> bool:
    result = run_git(root, "rev-parse", "--is-inside-work-tree")
    return result.returncode == 0 and result.stdout.strip() == b"true"


def git_dir(root: Path) -> Path | None:
    """The absolute git directory of the work tree at ``root`` (per worktree), or None."""
    result = run_git(Path(root), "rev-parse", "--absolute-git-dir")
    if result.returncode != 0:
        return None
    return Path(result.stdout.decode().strip())
