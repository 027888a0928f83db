"""Every git call of the kit: git never reads a caller's GIT_DIR, and dies with the kit."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from shimkit.domain.errors import KitError
from shimkit.system.processes import run_bytes

__all__ = [
    "GitError",
    "changed_since",
    "git_dir",
    "is_repo",
    "last_error",
    "run_git",
    "snapshot",
    "tracked_files",
]

_CALLER_SETTINGS = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE")


class GitError(KitError):
    """git could not do what the kit needs of it; the message is git's reason."""


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


def nul_separated(data: bytes) -> tuple[str, ...]:
    """The paths of git's ``-z`` output."""
    return tuple(os.fsdecode(name) for name in data.split(b"\0") if name)


def is_repo(root: Path) -> bool:
    result = run_git(root, "rev-parse", "--is-inside-work-tree")
    return result.returncode == 0 and result.stdout.strip() == b"true"


def git_dir(root: Path) -> Path | None:
    """The absolute git directory of the work tree at ``root`` (per worktree), or None."""
    result = run_git(Path(root), "rev-parse", "--absolute-git-dir")
    if result.returncode != 0:
        return None
    return Path(result.stdout.decode().strip())


def changed_since(root: Path, commit: str) -> tuple[str, ...] | None:
    """Paths under ``root`` (POSIX, relative to it) that differ between ``commit`` and the work
    tree: modified, deleted, added or untracked. None when git cannot tell (no repo, unknown
    commit)."""
    diff = run_git(
        Path(root), "diff", "--name-only", "-z", "--no-renames", "--relative", commit, "--"
    )
    untracked = run_git(Path(root), "ls-files", "--others", "--exclude-standard", "-z", "--", ".")
    if diff.returncode != 0 or untracked.returncode != 0:
        return None
    paths = {
        os.fsdecode(entry)
        for output in (diff.stdout, untracked.stdout)
        for entry in output.split(b"\0")
        if entry
    }
    return tuple(sorted(paths))


def tracked_files(root: Path) -> tuple[str, ...] | None:
    """The files git tracks under ``root`` (POSIX, relative to it, as the index lists them),
    or None when ``root`` is not inside a git work tree."""
    if not is_repo(Path(root)):
        return None
    listed = run_git(Path(root), "ls-files", "-z", "--cached", "--", ".")
    if listed.returncode != 0:
        return None
    return tuple(os.fsdecode(entry) for entry in listed.stdout.split(b"\0") if entry)


_KIT_IDENTITY = ("-c", "user.name=shimkit", "-c", "user.email=shimkit@localhost")


def snapshot(root: Path, message: str) -> str:
    """Make the tree at ``root`` (a throw-away copy the run owns) a git repository holding one
    commit of everything not ignored; return that commit."""
    commit = (*_KIT_IDENTITY, "-c", "commit.gpgsign=false", "commit", "-q", "--allow-empty")
    for args in (("init", "-q"), ("add", "-A"), (*commit, "-m", message)):
        result = run_git(root, *args)
        if result.returncode != 0:
            reason = last_error(result)
            raise GitError(f"cannot snapshot the working copy {root}: {reason}")
    head = run_git(root, "rev-parse", "HEAD")
    return head.stdout.decode().strip()
