"""What git says about the tree the kit is about to write to. Read-only: never changes the repo."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from shimkit.apply.errors import RefusedError

__all__ = [
    "GitState",
    "RefusedError",
    "changed_since",
    "git_dir",
    "last_error",
    "repo_status",
    "require_clean",
    "run_git",
]


@dataclass(frozen=True)
class GitState:
    """``dirty``: tracked paths with staged or unstaged changes; ``untracked``: new files.

    Paths are POSIX, relative to the inspected root; only paths under the root are listed.
    """

    is_repo: bool
    head: str | None = None  # full commit id; None outside a repo or before the first commit
    dirty: tuple[str, ...] = ()
    untracked: tuple[str, ...] = ()

    @property
    def clean(self) -> bool:
        return self.is_repo and not self.dirty


def run_git(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    """``git ARGS`` in ``root`` (C locale, no optional locks); exit 127 when git cannot run."""
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        env.pop(name, None)
    try:
        return subprocess.run(
            ["git", *args], cwd=root, capture_output=True, env=env, stdin=subprocess.DEVNULL
        )
    except OSError as exc:  # git missing, or root not a directory
        return subprocess.CompletedProcess(["git", *args], 127, b"", str(exc).encode())


def last_error(result: subprocess.CompletedProcess[bytes]) -> str:
    """git's last line on stderr (its reason), else its exit status."""
    lines = result.stderr.decode(errors="replace").strip().splitlines()
    return lines[-1] if lines else f"git exited with {result.returncode}"


def _is_repo(root: Path) -> bool:
    result = run_git(root, "rev-parse", "--is-inside-work-tree")
    return result.returncode == 0 and result.stdout.strip() == b"true"


def _parse_porcelain(data: bytes, prefix: str) -> tuple[list[str], list[str]]:
    dirty: list[str] = []
    untracked: list[str] = []
    fields = data.split(b"\0")
    index = 0
    while index < len(fields):
        entry = fields[index]
        index += 1
        if len(entry) < 4:
            continue
        code, path = entry[:2].decode(), os.fsdecode(entry[3:])
        if code[0] in "RC":  # rename/copy: the source path follows
            index += 1
        if path.startswith(prefix):
            path = path[len(prefix) :]
        (untracked if code == "??" else dirty).append(path)
    return dirty, untracked


def repo_status(root: Path) -> GitState:
    """Whether ``root`` is in a git work tree, its HEAD commit, and its uncommitted paths."""
    root = Path(root)
    if not root.is_dir() or not _is_repo(root):
        return GitState(is_repo=False)
    head_result = run_git(root, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    head: str | None = None
    if head_result.returncode == 0:
        head = head_result.stdout.decode().strip() or None
    prefix = run_git(root, "rev-parse", "--show-prefix").stdout.decode().strip()
    status = run_git(root, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", ".")
    if status.returncode != 0:
        message = status.stderr.decode(errors="replace").strip().splitlines()
        raise RefusedError(f"git status failed: {message[-1] if message else status.returncode}")
    dirty, untracked = _parse_porcelain(status.stdout, prefix)
    return GitState(True, head, tuple(sorted(set(dirty))), tuple(sorted(set(untracked))))


def require_clean(root: Path, allow_dirty: bool) -> GitState:
    """Refuse (raise :class:`RefusedError`) to touch a tree with uncommitted changes or no repo.

    ``allow_dirty`` lifts both refusals. Untracked files do not count as changes.
    """
    state = repo_status(root)
    if allow_dirty:
        return state
    if not state.is_repo:
        raise RefusedError(
            f"{root} is not a git repository (the kit only writes to a committed tree; "
            "pass --allow-dirty to proceed anyway)"
        )
    if state.dirty:
        shown = ", ".join(state.dirty[:10]) + (", ..." if len(state.dirty) > 10 else "")
        raise RefusedError(
            f"working tree has uncommitted changes: {shown} "
            "(commit or stash them, or pass --allow-dirty)"
        )
    return state


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


_KIT_IDENTITY = ("-c", "user.name=shimkit", "-c", "user.email=shimkit@localhost")


def snapshot(root: Path, message: str) -> str:
    """Make the tree at ``root`` (a throw-away copy the run owns) a git repository holding one
    commit of everything not ignored; return that commit."""
    commit = (*_KIT_IDENTITY, "-c", "commit.gpgsign=false", "commit", "-q", "--allow-empty")
    for args in (("init", "-q"), ("add", "-A"), (*commit, "-m", message)):
        result = run_git(root, *args)
        if result.returncode != 0:
            lines = result.stderr.decode(errors="replace").strip().splitlines()
            reason = lines[-1] if lines else f"exit status {result.returncode}"
            raise RefusedError(f"cannot snapshot the working copy {root}: {reason}")
    head = run_git(root, "rev-parse", "HEAD")
    return head.stdout.decode().strip()
