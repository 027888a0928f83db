"""Temporary folders a run owns (working copies, git worktrees), and removing those of dead runs.

The owner is in the folder's name: ``shimkit-<purpose>-<pid>-<start>-<random>``, where ``start``
is the owner's start time (so a reused pid is not mistaken for the owner). A run removes its own
folder on every exit it lives through; the next run removes any whose owner is gone. A large
folder can be handed to a process of its own to remove (``discard_tree``): the run does not wait
for tens of thousands of unlinks, and the folder, moved into that process's own scratch folder,
is never taken for a killed run's.

A scratch folder can be asked for in memory (``memory_base``): in a folder of its own on
``/dev/shm`` (Linux's file system in memory) that stands for the temp dir, so that runs with
different temp dirs never see each other's folders there; the folders in it are owned, found and
removed as those in the temp dir are.

Run as a script (``scratch.py discard PATH BASE [prune]``, standard library only) it is that
process.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = [
    "MEMORY_SHARE",
    "discard_tree",
    "free_bytes",
    "is_owned_name",
    "memory_base",
    "memory_budget",
    "memory_room",
    "new_scratch",
    "orphaned_scratch",
    "process_start",
    "prune_memory",
    "remove_orphaned_scratch",
    "scratch_bases",
    "scratch_dir",
    "scratch_in_memory",
]

PREFIX = "shimkit-"
MEMORY_MOUNT = Path("/dev/shm")
_OWNED = re.compile(rf"^{PREFIX}(?P<purpose>[a-z][a-z-]*?)-(?P<pid>\d+)-(?P<start>\d+)-")


def process_start(pid: int) -> int:
    """When process ``pid`` started (clock ticks since boot; 0 where /proc cannot tell)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return int(handle.read().rsplit(b")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return 0


def is_owned_name(name: str) -> bool:
    """Whether ``name`` is that of a folder a run (or a removing process) owns."""
    return _OWNED.match(name) is not None


def _alive(pid: int, start: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return start == 0 or process_start(pid) in (0, start)


def _is_memory_mount(path: Path) -> bool:
    try:
        with open("/proc/self/mounts", encoding="utf-8", errors="replace") as mounts:
            return any(
                fields[1:3] == [str(path), "tmpfs"] for fields in (line.split() for line in mounts)
            )
    except OSError:
        return False


def memory_base(create: bool = False, temp: Path | None = None) -> Path | None:
    """The folder in memory that stands for the temp dir ``temp`` (default: this process's),
    ``/dev/shm/shimkit.UID.TAG`` with TAG from the temp dir's path, made when ``create``; None
    where there is none: no file system in memory at ``/dev/shm``, or the name held by
    something this user does not own alone."""
    if not _is_memory_mount(MEMORY_MOUNT) or not os.access(MEMORY_MOUNT, os.W_OK | os.X_OK):
        return None
    temp_dir = os.path.realpath(tempfile.gettempdir() if temp is None else temp)
    tag = hashlib.sha256(os.fsencode(temp_dir)).hexdigest()[:16]
    base = MEMORY_MOUNT / f"shimkit.{os.getuid()}.{tag}"
    if create:
        with contextlib.suppress(FileExistsError):
            os.mkdir(base, 0o700)
    try:
        status = os.lstat(base)
    except OSError:
        return None
    # a shared folder: one another user made (or a link) must not receive the run's files
    owned = status.st_uid == os.getuid() and not stat.S_IMODE(status.st_mode) & 0o077
    return base if stat.S_ISDIR(status.st_mode) and owned else None


def memory_room(base: Path) -> int:
    """The bytes a file system in memory at ``base`` can take now: its free space, and no more
    than the memory the system has available (0 where either cannot be told)."""
    try:
        status = os.statvfs(base)
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            available = next(
                int(line.split()[1]) * 1024 for line in meminfo if line.startswith("MemAvailable:")
            )
    except (OSError, StopIteration, ValueError, IndexError):
        return 0
    return min(status.f_bavail * status.f_frsize, available)


# the share of the room in memory a scratch folder may take: the run's own processes, what the
# project's tests write into a copy, the system and other runs need the rest
MEMORY_SHARE = 4


def memory_budget(memory: Path) -> int:
    """The bytes a scratch folder in ``memory`` may take: a quarter of the room there now."""
    return memory_room(memory) // MEMORY_SHARE


def prune_memory(memory: Path) -> None:
    """The folder in memory goes when nothing is left in it."""
    with contextlib.suppress(OSError):
        os.rmdir(memory)


@contextmanager
def scratch_in_memory(purpose: str) -> Iterator[tuple[Path, int]]:
    """A fresh folder this process owns, in memory where there is a folder there (a file there
    costs no disk inode: tens of thousands of small files are written several times faster),
    else in the temp dir; with the free bytes of its file system below which it must take no
    more (it may take :func:`memory_budget`; 0: no limit, on disk). On leaving, a process of its
    own removes it, and the folder in memory goes when that leaves it empty."""
    memory = memory_base(create=True)
    folder = None
    if memory is not None:
        with contextlib.suppress(FileNotFoundError):  # pruned by another run's removal meanwhile
            folder = new_scratch(purpose, memory)
    floor = 0
    if folder is None:
        memory, folder = None, new_scratch(purpose)
    else:
        assert memory is not None
        floor = max(free_bytes(folder) - memory_budget(memory), 1)
    try:
        yield folder, floor
    finally:
        discard_tree(folder, base=memory)
        shutil.rmtree(folder, ignore_errors=True)
        if memory is not None:
            prune_memory(memory)


def free_bytes(folder: Path | str) -> int:
    """The bytes free to this user on ``folder``'s file system (0 where it cannot be told)."""
    try:
        status = os.statvfs(folder)
    except OSError:
        return 0
    return status.f_bavail * status.f_frsize


def scratch_bases(temp: Path | None = None) -> list[Path]:
    """Where the kit's scratch folders for the temp dir ``temp`` (default: this process's) can
    be: the temp dir, and its folder in memory when there is one."""
    memory = memory_base(temp=temp)
    temp_dir = Path(tempfile.gettempdir()) if temp is None else temp
    return [temp_dir, *([memory] if memory is not None else [])]


def new_scratch(purpose: str, base: Path | None = None) -> Path:
    """A fresh folder in ``base`` (default: the temp dir), owned by this process: the caller
    removes it."""
    pid = os.getpid()
    return Path(tempfile.mkdtemp(prefix=f"{PREFIX}{purpose}-{pid}-{process_start(pid)}-", dir=base))


@contextmanager
def scratch_dir(purpose: str) -> Iterator[Path]:
    """A fresh folder in the temp dir, owned by this process; removed when the block ends."""
    path = new_scratch(purpose)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def orphaned_scratch(base: Path | None = None) -> list[Path]:
    """The kit's temporary folders in ``base`` (default: the temp dir and its folder in memory)
    whose owner is dead."""
    found: list[Path] = []
    for folder in scratch_bases() if base is None else [base]:
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            continue
        for name in names:
            match = _OWNED.match(name)
            if match and not _alive(int(match["pid"]), int(match["start"])):
                found.append(folder / name)
    return found


def remove_orphaned_scratch(base: Path | None = None) -> list[Path]:
    """Remove every folder :func:`orphaned_scratch` finds (and the temp dir's folder in memory
    when that leaves it empty); return them."""
    removed = orphaned_scratch(base)
    for path in removed:
        shutil.rmtree(path, ignore_errors=True)
    memory = memory_base() if base is None else None
    if memory is not None:
        with contextlib.suppress(OSError):
            os.rmdir(memory)  # only when empty
    return removed


def discard_tree(path: Path, base: Path | None = None) -> None:
    """Remove the folder ``path`` without waiting for it: a process of its own moves it into a
    scratch folder it owns in ``base``, then removes it after this returns. ``base`` defaults to
    the temp dir (where ``path`` must then lie); another ``base`` (on ``path``'s filesystem, as a
    rename needs) is itself removed after, when that leaves it empty. Where that process cannot
    start or move it, ``path`` is removed here."""
    prune = base is not None
    where = str(base) if base is not None else tempfile.gettempdir()
    # the temp dir is where the next run looks for folders of killed runs
    command = [sys.executable, "-I", "-S", __file__, "discard", str(path), where]
    try:
        done = subprocess.run(
            [*command, *(["prune"] if prune else [])],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # a Ctrl-C of the run does not stop the removal
            timeout=60,
            check=False,
        )
        moved = done.returncode == 0
    except (OSError, subprocess.SubprocessError):
        moved = False
    if not moved:
        shutil.rmtree(path, ignore_errors=True)


def _discard(path: str, base: str, prune: bool = False) -> int:
    """The removing process: a child that outlives this one moves ``path`` into a scratch folder
    of its own in ``base`` and says so, then removes it (and ``base`` when ``prune`` and it is
    left empty); this one returns (0) once it is moved. Without ``fork``, all of it here."""
    read, write = os.pipe()
    if hasattr(os, "fork") and os.fork():
        os.close(write)
        return 0 if os.read(read, 1) == b"1" else 1
    os.close(read)
    pid = os.getpid()
    trash = Path(tempfile.mkdtemp(prefix=f"{PREFIX}trash-{pid}-{process_start(pid)}-", dir=base))
    try:
        os.rename(path, trash / "tree")
    except OSError:
        trash.rmdir()
        os.write(write, b"0")
        return _ended(1)
    os.write(write, b"1")
    os.close(write)
    shutil.rmtree(trash, ignore_errors=True)
    if prune:
        with contextlib.suppress(OSError):
            os.rmdir(base)  # only when empty
    return _ended(0)


def _ended(status: int) -> int:
    """The forked child's exit (it must not return into the parent's code); else ``status``."""
    if hasattr(os, "fork"):
        os._exit(status)
    return status


if __name__ == "__main__":
    if (
        sys.argv[1:2] != ["discard"]
        or len(sys.argv) not in (4, 5)
        or sys.argv[4:] not in ([], ["prune"])
    ):
        raise SystemExit("usage: scratch.py discard PATH BASE [prune]")
    raise SystemExit(_discard(sys.argv[2], sys.argv[3], prune=sys.argv[4:] == ["prune"]))
