"""Copying a tree as ``shutil.copytree(source, destination, symlinks=True, ignore=...)`` does,
with a fraction of its system calls per file.

``copy2`` makes about twenty calls for a file (three stats of the source, two of the target that
is not there yet, an ``lseek`` and an ``ioctl`` per ``open``, ...), each through Python's
wrappers: on a tree of 30,000 small files that is most of the copy. Here a regular file is
opened, sent (``sendfile``), and given its source's extended attributes, times and mode through
the open descriptors, from one ``fstat`` taken before its bytes are read (``copytree`` hands
``copy2`` the folder entry, whose status is taken before the read and kept). Folders and
symbolic links go through ``shutil``'s own calls, and so does any file the short path cannot
copy: its error (or its copy) is then the one ``shutil.copytree`` gives. Errors are gathered
and raised at the end as ``shutil.Error``, as ``copytree`` does.

A copy can be given ``room``: the bytes it may take (counted in whole pages, as a file system in
memory charges them); past it, :class:`NoRoom` is raised and the caller removes the copy.

:func:`scratch_copy` is the copy a run works on: in memory where it fits (no disk: creating
30,000 files on this machine's disk took 3 to 20 s, and their removal loads the disk for a minute
after), else in the temp dir; ``SHIMKIT_NO_SHORTCUTS=1`` gives the plain ``shutil.copytree`` in
the temp dir.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TypeVar

from shimkit.domain import shortcuts
from shimkit.system.ahead import Ahead, forked
from shimkit.system.scratch import (
    discard_tree,
    memory_base,
    memory_budget,
    new_scratch,
    prune_memory,
)

__all__ = ["NoRoom", "copy_tree", "scratch_copy", "scratch_copy_ahead"]

T = TypeVar("T")

_Ignore = Callable[[str, list[str]], Iterable[str]]

_PAGE = 4096
# what setting an extended attribute may fail with where the target cannot hold it (as
# ``shutil._copyxattr`` ignores)
_XATTR_IGNORED = frozenset({errno.EPERM, errno.ENOTSUP, errno.ENODATA, errno.EINVAL, errno.EACCES})
_CHUNK = 1 << 23


class NoRoom(Exception):
    """The copy would take more than the room it was given."""


class _Budget:
    def __init__(self, room: int | None) -> None:
        self.left = room

    def charge(self, size: int) -> None:
        if self.left is None:
            return
        self.left -= max(1, -(-size // _PAGE)) * _PAGE
        if self.left < 0:
            raise NoRoom


def _copy_xattrs(source: int, target: int) -> None:
    try:
        names = os.listxattr(source)
    except OSError as error:
        if error.errno not in (errno.ENOTSUP, errno.ENODATA, errno.EINVAL):
            raise
        return
    for name in names:
        try:
            os.setxattr(target, name, os.getxattr(source, name))
        except OSError as error:
            if error.errno not in _XATTR_IGNORED:
                raise


def _copy_file(source: str, target: str) -> int:
    """Copy one regular file with its mode, times and extended attributes; its size."""
    reader = os.open(source, os.O_RDONLY | os.O_CLOEXEC)
    try:
        writer = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        try:
            status = os.fstat(reader)  # before the read, as copytree's (its entry's, cached)
            while os.sendfile(writer, reader, None, _CHUNK):
                pass
            os.utime(writer, ns=(status.st_atime_ns, status.st_mtime_ns))
            _copy_xattrs(reader, writer)
            os.chmod(writer, stat.S_IMODE(status.st_mode))
        finally:
            os.close(writer)
    finally:
        os.close(reader)
    return status.st_size


def _copy_regular(source: str, target: str, budget: _Budget) -> None:
    try:
        size = _copy_file(source, target)
    except OSError:
        # whatever the short path could not do, shutil does (or fails at) as copytree would
        with contextlib.suppress(FileNotFoundError):
            os.unlink(target)
        shutil.copy2(source, target)
        size = os.lstat(target).st_size
    budget.charge(size)


def _copy_folder(
    source: str, target: str, ignore: _Ignore, budget: _Budget
) -> list[tuple[str, str, str]]:
    with os.scandir(source) as scan:
        entries = list(scan)
    ignored = set(ignore(source, [entry.name for entry in entries]))
    os.makedirs(target)
    errors: list[tuple[str, str, str]] = []
    for entry in entries:
        if entry.name in ignored:
            continue
        copied = os.path.join(target, entry.name)
        try:
            if entry.is_symlink():
                os.symlink(os.readlink(entry.path), copied)
                shutil.copystat(entry.path, copied, follow_symlinks=False)
                budget.charge(0)
            elif entry.is_dir():
                errors += _copy_folder(entry.path, copied, ignore, budget)
            elif entry.is_file(follow_symlinks=False):
                _copy_regular(entry.path, copied, budget)
            else:  # a pipe, a socket, a device: shutil's own answer
                shutil.copy2(entry.path, copied)
        except shutil.Error as error:
            errors += error.args[0]
        except OSError as why:
            errors.append((entry.path, copied, str(why)))
    try:
        shutil.copystat(source, target)
    except OSError as why:
        if getattr(why, "winerror", None) is None:
            errors.append((source, target, str(why)))
    return errors


def copy_tree(
    source: Path, destination: Path, left_out: Collection[str], room: int | None = None
) -> None:
    """Copy ``source`` to ``destination`` (which must not exist): symbolic links as links,
    folders and files named in ``left_out`` (fnmatch patterns, at any depth) left out. Raises
    ``shutil.Error`` listing what could not be copied (after copying the rest), :class:`NoRoom`
    as soon as the copy would take more than ``room`` bytes (None: no limit)."""
    ignore = shutil.ignore_patterns(*left_out)
    errors = _copy_folder(os.fspath(source), os.fspath(destination), ignore, _Budget(room))
    if errors:
        raise shutil.Error(errors)


@contextmanager
def scratch_copy(purpose: str, source: Path, left_out: Collection[str]) -> Iterator[Path]:
    """A copy of ``source`` (named as it; see :func:`copy_tree`) in a fresh scratch folder this
    process owns: in memory when it takes no more than a quarter of the room there, else in the
    temp dir. On leaving, a process of its own removes it."""
    memory = memory_base(create=True) if shortcuts.enabled() else None
    copy = _copied_in_memory(purpose, source, left_out, memory) if memory is not None else None
    if copy is None:
        memory, copy = None, _copied_on_disk(purpose, source, left_out)
    try:
        yield copy
    finally:
        _discard(copy, memory)


@contextmanager
def scratch_copy_ahead(
    purpose: str, source: Path, left_out: Collection[str], then: Callable[[Path], T]
) -> Iterator[Callable[[], tuple[Path, T]]]:
    """:func:`scratch_copy` of ``source``, then ``then(copy)``, begun now by a forked process
    (``shimkit.system.ahead``) while this one goes on. The block gets a function that waits for
    both and returns the copy and what ``then`` returned, raising what either raised. Where the
    forked process cannot make the copy (no room in memory, no safe fork, the shortcuts off),
    that function makes it, as ``scratch_copy`` does, and calls ``then`` itself. The copy is
    removed on leaving."""
    with ExitStack() as held:
        memory = memory_base(create=True) if shortcuts.enabled() else None
        folder = _memory_scratch(purpose, memory) if memory is not None else None
        copy = folder / source.name if folder is not None else None
        room = memory_budget(memory) if memory is not None else None
        ahead: Ahead[T] | None = None
        if copy is not None:
            held.callback(_discard, copy, memory)
            in_memory = copy

            def copied_then() -> T:
                copy_tree(source, in_memory, left_out, room)
                return then(in_memory)

            ahead = held.enter_context(forked(copied_then))
        made: list[tuple[Path, T]] = []

        def make() -> tuple[Path, T]:
            if copy is not None:
                try:
                    if ahead is not None:
                        return copy, ahead.result()
                    copy_tree(source, copy, left_out, room)
                    return copy, then(copy)
                except NoRoom:
                    shutil.rmtree(copy, ignore_errors=True)
            on_disk = _copied_on_disk(purpose, source, left_out)
            held.callback(_discard, on_disk, None)
            return on_disk, then(on_disk)

        def ready() -> tuple[Path, T]:
            if not made:
                made.append(make())
            return made[0]

        yield ready


def _memory_scratch(purpose: str, memory: Path) -> Path | None:
    """A fresh scratch folder in ``memory``; None when the folder there is gone."""
    try:
        return new_scratch(purpose, memory)
    except FileNotFoundError:  # pruned by another run's removal meanwhile
        return None


def _discard(copy: Path, memory: Path | None) -> None:
    """Remove ``copy`` and its scratch folder (in ``memory``, when not None)."""
    discard_tree(copy, base=memory)
    shutil.rmtree(copy.parent, ignore_errors=True)
    if memory is not None:  # its last removal prunes it when this one cannot
        prune_memory(memory)


def _copied_on_disk(purpose: str, source: Path, left_out: Collection[str]) -> Path:
    """The copy in a scratch folder in the temp dir."""
    copy = new_scratch(purpose) / source.name
    try:
        if shortcuts.enabled():
            copy_tree(source, copy, left_out)
        else:
            ignore = shutil.ignore_patterns(*left_out)
            shutil.copytree(source, copy, symlinks=True, ignore=ignore)
    except BaseException:
        shutil.rmtree(copy.parent, ignore_errors=True)
        raise
    return copy


def _copied_in_memory(
    purpose: str, source: Path, left_out: Collection[str], memory: Path
) -> Path | None:
    """The copy in a scratch folder in ``memory``; None when it would not fit (nothing left)."""
    room = memory_budget(memory)
    folder = _memory_scratch(purpose, memory)
    if folder is None:
        return None
    try:
        copy_tree(source, folder / source.name, left_out, room)
    except NoRoom:
        shutil.rmtree(folder, ignore_errors=True)
        prune_memory(memory)
        return None
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return folder / source.name
