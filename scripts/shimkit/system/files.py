"""Writing one file so that a reader sees the old bytes or the new ones, never a mix.

The new bytes go to a temporary file beside the target (``.<name>.<token>.shimkit-tmp``), are
flushed to disk, and the temporary file is renamed over the target; the directory is flushed too,
so the rename survives a crash. A run killed half-way leaves at most that temporary file, which
the next run removes (see ``shimkit.apply.journal``).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import secrets
from pathlib import Path

from shimkit.domain.errors import KitError
from shimkit.domain.folders import TEMP_SUFFIX

__all__ = [
    "WriteError",
    "create_temp",
    "fsync_dir",
    "keep_copy",
    "reason",
    "sha256_of",
    "sync_all",
    "temp_name",
    "write_atomic",
]


class WriteError(KitError):
    """A file could not be written; the target was left as it was."""


def reason(error: OSError) -> str:
    """``permission denied``, ``no space left on device``: an OSError as a user reads it."""
    if error.errno is not None and error.errno in errno.errorcode:
        return os.strerror(error.errno).lower()
    return str(error)


def sha256_of(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()


def temp_name(target: Path) -> Path:
    """A fresh temporary name beside ``target``."""
    return target.with_name(f".{target.name}.{secrets.token_hex(4)}{TEMP_SUFFIX}")


def fsync_dir(directory: Path) -> None:
    """Flush a directory's entries (renames, creations) to disk; a no-op where unsupported."""
    with contextlib.suppress(OSError):
        handle = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)


def sync_all() -> None:
    """Flush every file written so far to disk, in one call: for a write of many files, one
    flush before its renames gives the same order on disk as a flush per file, at the cost of
    one (Linux's sync waits until the data is written)."""
    os.sync()


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def create_temp(path: Path, data: bytes, mode: int | None = None, durable: bool = True) -> None:
    """Create ``path`` (it must not exist) holding ``data``, on disk (``durable`` False: in
    the page cache only, for a tree a crash throws away), with ``mode`` (default: what a new
    file gets under the umask). Raises OSError; a half-written file is removed."""
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            if durable:
                os.fsync(stream.fileno())
        os.chmod(path, _default_mode() if mode is None else mode)
    except BaseException:
        with contextlib.suppress(OSError):
            path.unlink()
        raise


def keep_copy(source: Path, copy: Path, data: bytes, durable: bool = True) -> None:
    """Create ``copy`` (it must not exist) holding ``data``, the bytes ``source`` holds now: a
    hard link where the filesystem allows (a write replaces ``source`` by a rename, so the link
    keeps the old bytes at a fraction of the cost of a copy), else a new file (on disk unless
    not ``durable``, see ``create_temp``). Raises OSError."""
    try:
        os.link(source, copy, follow_symlinks=False)
    except OSError:
        create_temp(copy, data, 0o600, durable)


def write_atomic(path: Path, data: bytes, mode: int | None = None) -> None:
    """Replace (or create) ``path`` with ``data`` atomically; parent folders are created.

    Raises :class:`WriteError` with a one-line reason; the target is then as it was.
    """
    path = Path(path)
    temp = temp_name(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if mode is None and path.is_file():
            mode = path.stat().st_mode & 0o7777
        create_temp(temp, data, mode)
        try:
            os.replace(temp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                temp.unlink()
            raise
    except OSError as error:
        raise WriteError(f"cannot write {path}: {reason(error)}") from None
    fsync_dir(path.parent)
