"""All-or-nothing application of a :class:`ChangeSet` to the user's tree.

Order: validate everything, write every new content to a temp file next to its target (mode kept,
fsynced), ``os.replace`` them into place, delete last. A failure before the renames leaves the tree
untouched; a failure during them restores the already-replaced files from memory (best effort).
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from shimkit.apply.errors import ApplyError
from shimkit.domain.model import ChangeSet, FileChange

__all__ = ["ApplyError", "apply_changes"]


@dataclass(frozen=True)
class _Planned:
    change: FileChange
    target: Path
    original: bytes | None  # None: the file does not exist yet
    mode: int | None  # permission bits to give the new file


def _reason(exc: OSError) -> str:
    if exc.errno is not None and exc.errno in errno.errorcode:
        return os.strerror(exc.errno).lower()
    return str(exc)


def _encode(change: FileChange, text: str) -> bytes:
    try:
        return text.encode(change.encoding)
    except (LookupError, UnicodeEncodeError) as exc:
        raise ApplyError(f"cannot encode {change.path} as {change.encoding}: {exc}") from None


def _validate(root: Path, change: FileChange) -> _Planned:
    rel = Path(change.path)
    if rel.is_absolute() or ".." in rel.parts or not rel.parts:
        raise ApplyError(f"refusing to write outside the tree: {change.path}")
    target = root / rel
    if change.old_text is None and change.new_text is None:
        raise ApplyError(f"empty change for {change.path}")
    exists = target.exists() or target.is_symlink()
    if target.is_symlink():
        # replacing the link would cut it; writing through it could leave the tree
        raise ApplyError(f"cannot write {change.path}: it is a symbolic link")
    if exists and not target.is_file():
        raise ApplyError(f"cannot write {change.path}: not a regular file")
    if exists and not stat.S_IMODE(target.stat().st_mode) & 0o222:
        # a rename would replace it even so (and root may write anything): respect the mode
        raise ApplyError(f"cannot write {change.path}: it is read-only")
    original: bytes | None = None
    mode: int | None = None
    if change.old_text is None:
        if exists:
            raise ApplyError(f"cannot create {change.path}: it already exists")
    else:
        if not exists:
            raise ApplyError(f"cannot change {change.path}: it no longer exists")
        try:
            original = target.read_bytes()
            mode = stat.S_IMODE(os.stat(target).st_mode)
        except OSError as exc:
            raise ApplyError(f"cannot read {change.path}: {_reason(exc)}") from None
        if original != _encode(change, change.old_text):
            raise ApplyError(f"{change.path} changed since it was analysed; run the step again")
    parent = target.parent
    if not parent.is_dir():
        # the nearest existing ancestor must be a directory (missing ones are created on write)
        ancestor = parent
        while not (ancestor.exists() or ancestor.is_symlink()):
            ancestor = ancestor.parent
        if not ancestor.is_dir():
            where = ancestor.relative_to(root).as_posix()
            raise ApplyError(f"cannot write {change.path}: {where} is not a directory")
    elif not os.access(parent, os.W_OK | os.X_OK):
        raise ApplyError(f"cannot write {change.path}: permission denied")
    return _Planned(change, target, original, mode)


def _write_temp(planned: _Planned, created_dirs: list[Path]) -> Path:
    change = planned.change
    assert change.new_text is not None
    data = _encode(change, change.new_text)
    try:
        missing: list[Path] = []
        directory = planned.target.parent
        while not directory.exists():
            missing.append(directory)
            directory = directory.parent
        for directory in reversed(missing):
            directory.mkdir()
            created_dirs.append(directory)
        fd, name = tempfile.mkstemp(
            dir=planned.target.parent, prefix=f".{planned.target.name}.", suffix=".shimkit-tmp"
        )
    except OSError as exc:
        raise ApplyError(f"cannot write {change.path}: {_reason(exc)}") from None
    temp = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if planned.mode is not None:
            os.chmod(temp, planned.mode)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temp, 0o666 & ~umask)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise ApplyError(f"cannot write {change.path}: {_reason(exc)}") from None
    return temp


def _restore(done: list[_Planned]) -> None:
    """Best-effort rollback of already-replaced or deleted files, newest first."""
    for planned in reversed(done):
        with contextlib.suppress(OSError):
            if planned.original is None:
                planned.target.unlink(missing_ok=True)
                continue
            fd, name = tempfile.mkstemp(dir=planned.target.parent, suffix=".shimkit-tmp")
            with os.fdopen(fd, "wb") as handle:
                handle.write(planned.original)
                handle.flush()
                os.fsync(handle.fileno())
            if planned.mode is not None:
                os.chmod(name, planned.mode)
            os.replace(name, planned.target)


def _remove_dirs(created: list[Path]) -> None:
    for directory in reversed(created):
        with contextlib.suppress(OSError):
            directory.rmdir()


def apply_changes(root: Path, changes: ChangeSet) -> None:
    """Write ``changes`` under ``root``, all or nothing; raise :class:`ApplyError` on failure."""
    root = Path(root)
    seen: set[str] = set()
    for change in changes.changes:
        key = Path(change.path).as_posix()
        if key in seen:
            raise ApplyError(f"two changes for {change.path}")
        seen.add(key)
    plans = [_validate(root, change) for change in changes.changes]
    writes = [plan for plan in plans if plan.change.new_text is not None]
    deletes = [plan for plan in plans if plan.change.new_text is None]

    temps: list[tuple[_Planned, Path]] = []
    created_dirs: list[Path] = []
    try:
        for plan in writes:
            temps.append((plan, _write_temp(plan, created_dirs)))
    except BaseException:
        for _, temp in temps:
            with contextlib.suppress(OSError):
                temp.unlink()
        _remove_dirs(created_dirs)
        raise

    done: list[_Planned] = []
    pending = list(temps)
    try:
        while pending:
            plan, temp = pending[0]
            try:
                os.replace(temp, plan.target)
            except OSError as exc:
                raise ApplyError(f"cannot write {plan.change.path}: {_reason(exc)}") from None
            pending.pop(0)
            done.append(plan)
        for plan in deletes:
            try:
                plan.target.unlink()
            except OSError as exc:
                raise ApplyError(f"cannot delete {plan.change.path}: {_reason(exc)}") from None
            done.append(plan)
    except BaseException:
        for _, temp in pending:
            with contextlib.suppress(OSError):
                temp.unlink()
        _restore(done)
        _remove_dirs(created_dirs)
        raise
