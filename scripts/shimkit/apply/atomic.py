"""All-or-nothing application of a :class:`ChangeSet` to the user's tree.

Order: validate everything and encode every new content; write the journal (see
``shimkit.apply.journal``); back up the old bytes; write every new content to a temporary file
beside its target (mode kept); flush them all to disk at once; rename them into place and
delete, with stop signals held back; remove the journal. A failure, or an interruption, before
the last rename puts every file back; a run killed at any moment is finished or undone by the
next one (``journal.recover``).

A working copy (``durable`` False) is written in place instead, with the speed shortcuts on: a
crash or a kill throws the whole copy away (the next run removes it), nobody reads it while it
is written, and this process holds the old bytes to put back what a failed write changed; the
journal, backups, temporary files and renames would buy it nothing. The files are the same
either way (bytes, modes); ``SHIMKIT_NO_SHORTCUTS=1`` writes a copy as the user's tree is.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from shimkit.apply.errors import ApplyError
from shimkit.apply.journal import Entry, Journal, Place, close, roll_back
from shimkit.domain import shortcuts
from shimkit.domain.model import ChangeSet, FileChange
from shimkit.domain.phases import WRITE, timed
from shimkit.system.files import (
    create_temp,
    fsync_dir,
    keep_copy,
    reason,
    sha256_of,
    sync_all,
    temp_name,
)
from shimkit.system.signals import deferred

__all__ = ["ApplyError", "apply_changes"]

# what ``Path.exists`` takes for "nothing there" (any other error is raised)
_ABSENT = frozenset({errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP})


@dataclass(frozen=True)
class _Planned:
    change: FileChange
    target: Path
    original: bytes | None  # None: the file does not exist yet
    new: bytes | None  # None: the file is deleted
    mode: int | None  # permission bits of the existing file


def _encode(change: FileChange, text: str) -> bytes:
    try:
        return text.encode(change.encoding)
    except (LookupError, UnicodeEncodeError) as exc:
        raise ApplyError(f"cannot encode {change.path} as {change.encoding}: {exc}") from None


def _status(target: Path) -> os.stat_result | None:
    """``target``'s own status (a link's, not what it points to); None where nothing is (the
    errors ``Path.exists`` takes for absence)."""
    try:
        return os.lstat(target)
    except OSError as error:
        if error.errno in _ABSENT:
            return None
        raise


def _validate(root: Path, change: FileChange, folders: dict[Path, str | None]) -> _Planned:
    """``folders``: what :func:`_folder_problem` said of each folder so far in this write (one
    look per folder, not per file)."""
    rel = Path(change.path)
    if rel.is_absolute() or ".." in rel.parts or not rel.parts:
        raise ApplyError(f"refusing to write outside the tree: {change.path}")
    target = root / rel
    if change.old_text is None and change.new_text is None:
        raise ApplyError(f"empty change for {change.path}")
    status = _status(target)
    if status is not None and stat.S_ISLNK(status.st_mode):
        # replacing the link would cut it; writing through it could leave the tree
        raise ApplyError(f"cannot write {change.path}: it is a symbolic link")
    if status is not None and not stat.S_ISREG(status.st_mode):
        raise ApplyError(f"cannot write {change.path}: not a regular file")
    if status is not None and not stat.S_IMODE(status.st_mode) & 0o222:
        # a rename would replace it even so (and root may write anything): respect the mode
        raise ApplyError(f"cannot write {change.path}: it is read-only")
    original: bytes | None = None
    mode: int | None = None
    if change.old_text is None:
        if status is not None:
            raise ApplyError(f"cannot create {change.path}: it already exists")
    else:
        if status is None:
            raise ApplyError(f"cannot change {change.path}: it no longer exists")
        try:
            original = target.read_bytes()
        except OSError as exc:
            raise ApplyError(f"cannot read {change.path}: {reason(exc)}") from None
        mode = stat.S_IMODE(status.st_mode)
        if original != _encode(change, change.old_text):
            raise ApplyError(f"{change.path} changed since it was analysed; run the step again")
    parent = target.parent
    if parent not in folders:
        folders[parent] = _folder_problem(root, parent)
    problem = folders[parent]
    if problem is not None:
        raise ApplyError(f"cannot write {change.path}: {problem}")
    new = None if change.new_text is None else _encode(change, change.new_text)
    return _Planned(change, target, original, new, mode)


def _folder_problem(root: Path, parent: Path) -> str | None:
    """Why no file can be written in ``parent`` (None: it can): the nearest existing ancestor of
    a missing folder must be a directory (missing ones are created on write)."""
    if not parent.is_dir():
        ancestor = parent
        while not (ancestor.exists() or ancestor.is_symlink()):
            ancestor = ancestor.parent
        if not ancestor.is_dir():
            return f"{ancestor.relative_to(root).as_posix()} is not a directory"
    elif not os.access(parent, os.W_OK | os.X_OK):
        return "permission denied"
    return None


def _missing_dirs(root: Path, plans: list[_Planned]) -> tuple[str, ...]:
    """Folders the write must create, parents first."""
    missing: set[Path] = set()
    for plan in plans:
        if plan.new is None:
            continue
        directory = plan.target.parent
        while not directory.exists():
            missing.add(directory)
            directory = directory.parent
    return tuple(p.relative_to(root).as_posix() for p in sorted(missing, key=lambda p: p.parts))


def _journal(root: Path, plans: list[_Planned], verified: bool) -> Journal:
    entries = []
    for index, plan in enumerate(plans):
        # named from the root-relative path: the same name beside the target, without a
        # relative_to per file
        temp = None if plan.new is None else temp_name(Path(plan.change.path)).as_posix()
        entries.append(
            Entry(
                path=Path(plan.change.path).as_posix(),
                old=sha256_of(plan.original),
                new=sha256_of(plan.new),
                temp=temp,
                backup=None if plan.original is None else str(index),
                old_mode=plan.mode,
            )
        )
    return Journal(tuple(entries), _missing_dirs(root, plans), verified)


def _prepare(place: Place, journal: Journal, plans: list[_Planned], durable: bool) -> None:
    """Backups of the old bytes, the folders to create, and the new bytes in temporary files."""
    place.backups.mkdir(parents=True, exist_ok=True)
    for entry, plan in zip(journal.entries, plans, strict=True):
        if entry.backup is not None and plan.original is not None:
            keep_copy(plan.target, place.backups / entry.backup, plan.original, durable)
    for folder in journal.created_dirs:
        (place.root / folder).mkdir()
    for entry, plan in zip(journal.entries, plans, strict=True):
        if entry.temp is not None and plan.new is not None:
            try:
                create_temp(place.root / entry.temp, plan.new, plan.mode, durable=False)
            except OSError as exc:
                raise ApplyError(f"cannot write {entry.path}: {reason(exc)}") from None
    if durable:  # every backup and new content on disk before the first rename
        sync_all()


def _commit(place: Place, journal: Journal, durable: bool) -> None:
    for entry in journal.entries:
        target = place.target(entry)
        try:
            if entry.temp is not None:
                os.replace(place.root / entry.temp, target)
            else:
                target.unlink()
        except OSError as exc:
            verb = "write" if entry.temp is not None else "delete"
            raise ApplyError(f"cannot {verb} {entry.path}: {reason(exc)}") from None
    if durable:
        for folder in {place.target(entry).parent for entry in journal.entries}:
            fsync_dir(folder)


@timed(WRITE)
def apply_changes(
    root: Path, changes: ChangeSet, verified: bool = False, durable: bool = True
) -> None:
    """Write ``changes`` under ``root``, all or nothing; raise :class:`ApplyError` on failure.
    ``verified``: the change passed verification before this write (the journal says so).
    ``durable`` False: for a working copy, which a crash throws away whole (the next run
    removes it), the new bytes need not reach the disk: no fsync per file or folder, the one
    cost of the write that grows with its files (this process holds the old bytes to undo a
    failed write); the journal, temporary files, renames and backups stay. A backup (a hard
    link) is kept even so: it makes the rename that replaces a file drop no last link, which on
    a filesystem that discards freed blocks at once costs a millisecond or more per file, and
    the backups then go with a process of their own (``journal.close``)."""
    root = Path(root)
    seen: set[str] = set()
    for change in changes.changes:
        key = Path(change.path).as_posix()
        if key in seen:
            raise ApplyError(f"two changes for {change.path}")
        seen.add(key)
    folders: dict[Path, str | None] = {}
    plans = [_validate(root, change, folders) for change in changes.changes]
    if not plans:
        return
    # writes first, deletions last: a reader never sees a module gone before its importers moved
    plans.sort(key=lambda plan: plan.new is None)
    if not durable and shortcuts.enabled():
        _write_in_place(root, plans)
        return
    place = Place.of(root)
    journal = _journal(root, plans, verified)
    committed = False
    try:
        place.write(journal)
        _prepare(place, journal, plans, durable)
        with deferred():
            _commit(place, journal, durable)
            committed = True
    except BaseException as error:
        if committed:  # a stop signal held back during the renames: the write is complete
            close(place, journal, rolled_back=False, renamed=True)
            raise
        try:
            kept = {
                entry.path: plan.original
                for entry, plan in zip(journal.entries, plans, strict=True)
                if plan.original is not None and not durable
            }
            roll_back(place, journal, kept)
            close(place, journal, rolled_back=True)
        except (OSError, ApplyError):
            pass  # the journal stays: the next run finishes the rollback
        if isinstance(error, OSError):
            raise ApplyError(f"cannot write the change set: {reason(error)}") from None
        raise
    close(place, journal, rolled_back=False, renamed=True)


def _put(plan: _Planned, data: bytes | None, mode: int | None = None) -> None:
    """``plan``'s file holding ``data`` (None: no file), written in place, given ``mode`` when
    not None; raises OSError."""
    if data is None:
        plan.target.unlink(missing_ok=True)
        return
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC
    if plan.original is None:
        flags |= os.O_EXCL  # a new file gets what create_temp gives it: 0o666 under the umask
    handle = os.open(plan.target, flags, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(handle, view) :]
        if mode is not None:
            os.fchmod(handle, mode)
    finally:
        os.close(handle)


def _write_in_place(root: Path, plans: list[_Planned]) -> None:
    """Write a working copy's files in place (see the module's docstring): all of them, or,
    on a failure, none (what was written is put back, the folders made are removed)."""
    created = [root / folder for folder in _missing_dirs(root, plans)]
    done: list[_Planned] = []
    try:
        for folder in created:
            folder.mkdir()
        for plan in plans:
            done.append(plan)
            _put(plan, plan.new)
    except OSError as error:
        for plan in reversed(done):
            with contextlib.suppress(OSError):
                _put(plan, plan.original, plan.mode)
        for folder in reversed(created):
            with contextlib.suppress(OSError):
                folder.rmdir()
        if not done:
            raise ApplyError(f"cannot write the change set: {reason(error)}") from None
        verb = "delete" if done[-1].new is None else "write"
        raise ApplyError(f"cannot {verb} {done[-1].change.path}: {reason(error)}") from None
