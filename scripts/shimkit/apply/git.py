"""What git says about the tree the kit is about to write to. Read-only: never changes the repo."""

from __future__ import annotations

import os
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from shimkit.apply.errors import RefusedError
from shimkit.system.git import is_repo, last_error, run_git

__all__ = ["GitState", "head_commit", "repo_status", "require_clean"]


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
    if not root.is_dir() or not is_repo(root):
        return GitState(is_repo=False)
    head = _head(root)
    prefix = run_git(root, "rev-parse", "--show-prefix").stdout.decode().strip()
    status = run_git(root, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", ".")
    if status.returncode != 0:
        raise RefusedError(f"git status failed: {last_error(status)}")
    dirty, untracked = _parse_porcelain(status.stdout, prefix)
    return GitState(True, head, tuple(sorted(set(dirty))), tuple(sorted(set(untracked))))


def head_commit(root: Path) -> str | None:
    """``repo_status(root).head`` without the status of every file (a whole ``git status``)."""
    root = Path(root)
    if not root.is_dir() or not is_repo(root):
        return None
    return _head(root)


def _head(root: Path) -> str | None:
    result = run_git(root, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    return (result.stdout.decode().strip() or None) if result.returncode == 0 else None


def require_clean(
    root: Path,
    allow_dirty: bool,
    writes: Collection[str] = (),
    overridable: bool = True,
    state: GitState | None = None,
) -> GitState:
    """Refuse (raise :class:`RefusedError`) to touch a tree with uncommitted changes or no repo.

    ``allow_dirty`` lifts both refusals (``overridable``: the command has ``--allow-dirty``, so
    the message may offer it). An untracked file counts as a change where the run
    would write or delete it (``writes``, root-relative): git holds no copy of it, so neither a
    commit nor a rollback could give it back. ``state``: ``repo_status(root)``, when the caller
    has just taken it (and written nothing since).
    """
    state = repo_status(root) if state is None else state
    if allow_dirty:
        return state
    if not state.is_repo:
        anyway = "; pass --allow-dirty to proceed anyway" if overridable else ""
        raise RefusedError(
            f"{root} is not a git repository (the kit only writes to a committed tree{anyway})"
        )
    uncommitted = (*state.dirty, *sorted(set(state.untracked) & set(writes)))
    if uncommitted:
        shown = ", ".join(uncommitted[:10]) + (", ..." if len(uncommitted) > 10 else "")
        raise RefusedError(
            f"working tree has uncommitted changes: {shown} "
            f"(commit or stash them{', or pass --allow-dirty' if overridable else ''})"
        )
    return state
