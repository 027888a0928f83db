"""Temporary folders a run owns (working copies, git worktrees), and removing those of dead runs.

The owner is in the folder's name: ``shimkit-<purpose>-<pid>-<start>-<random>``, where ``start``
is the owner's start time (so a reused pid is not mistaken for the owner). A run removes its own
folder on every exit it lives through; the next run removes any whose owner is gone.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["orphaned_scratch", "process_start", "remove_orphaned_scratch", "scratch_dir"]

PREFIX = "shimkit-"
_OWNED = re.compile(rf"^{PREFIX}(?P<purpose>[a-z][a-z-]*?)-(?P<pid>\d+)-(?P<start>\d+)-")


def process_start(pid: int) -> int:
    """When process ``pid`` started (clock ticks since boot; 0 where /proc cannot tell)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return int(handle.read().rsplit(b")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return 0


def _alive(pid: int, start: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return start == 0 or process_start(pid) in (0, start)


@contextmanager
def scratch_dir(purpose: str) -> Iterator[Path]:
    """A fresh folder in the temp dir, owned by this process; removed when the block ends."""
    pid = os.getpid()
    path = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{purpose}-{pid}-{process_start(pid)}-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def orphaned_scratch(base: Path | None = None) -> list[Path]:
    """The kit's temporary folders in ``base`` (default: the temp dir) whose owner is dead."""
    base = Path(tempfile.gettempdir()) if base is None else base
    try:
        names = sorted(os.listdir(base))
    except OSError:
        return []
    found: list[Path] = []
    for name in names:
        match = _OWNED.match(name)
        if match and not _alive(int(match["pid"]), int(match["start"])):
            found.append(base / name)
    return found


def remove_orphaned_scratch(base: Path | None = None) -> list[Path]:
    """Remove every folder :func:`orphaned_scratch` finds; return them."""
    removed = orphaned_scratch(base)
    for path in removed:
        shutil.rmtree(path, ignore_errors=True)
    return removed
