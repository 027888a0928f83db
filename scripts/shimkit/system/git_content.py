"""What a tree holds, as git names content: each file's path and blob id. A commit's come from its
tree; a work tree's from the index, with the files that differ from it (modified, untracked and
not ignored) hashed as they are now. Equal maps mean equal content, wherever the tree lives (a
copy, a worktree of the commit)."""

from __future__ import annotations

import os
from pathlib import Path

from shimkit.system.git import run_git

__all__ = ["content_ids"]

_HASHED_AT_ONCE = 500  # paths per ``git hash-object`` call


def content_ids(root: Path, commit: str | None = None) -> dict[str, str] | None:
    """Path (relative to ``root``) -> blob id of every file git sees under ``root``: those of
    ``commit``, or (None) of the work tree, ignored files left out. None when git cannot tell."""
    root = Path(root)
    if commit is not None:
        listed = run_git(root, "ls-tree", "-r", "-z", commit, "--", ".")
        if listed.returncode != 0:
            return None
        return dict(_entry(line, 2) for line in _lines(listed.stdout))  # mode type id\tpath
    index = run_git(root, "ls-files", "-s", "-z", "--", ".")
    changed = run_git(root, "diff-files", "--name-only", "-z", "--relative", "--", ".")
    untracked = run_git(root, "ls-files", "--others", "--exclude-standard", "-z", "--", ".")
    if any(result.returncode != 0 for result in (index, changed, untracked)):
        return None
    ids = dict(_entry(line, 1) for line in _lines(index.stdout))  # mode id stage\tpath
    differing = [os.fsdecode(p) for p in (*_lines(changed.stdout), *_lines(untracked.stdout))]
    for path in differing:
        ids.pop(path, None)
    files = [path for path in dict.fromkeys(differing) if (root / path).is_file()]
    for start in range(0, len(files), _HASHED_AT_ONCE):
        chunk = files[start : start + _HASHED_AT_ONCE]
        hashed = run_git(root, "hash-object", "--", *chunk)
        if hashed.returncode != 0:
            return None
        ids.update(zip(chunk, hashed.stdout.decode().split(), strict=True))
    return ids


def _lines(output: bytes) -> list[bytes]:
    return [entry for entry in output.split(b"\0") if entry]


def _entry(line: bytes, field: int) -> tuple[str, str]:
    """(path, blob id) of a listing line whose id is the ``field``-th word before the tab."""
    meta, _, path = line.partition(b"\t")
    return os.fsdecode(path), meta.split(b" ")[field].decode()
