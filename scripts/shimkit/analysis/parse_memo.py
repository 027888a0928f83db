"""One parse of each file per run: a file read again with the same content is not parsed again.

A run (step 5 above all: its scope, its verification, its success criteria and the planning of
each pending step) looks at the same tree several times. The memo is keyed on what was read (the
file's path, the import root and a digest of its bytes), so it stays true whatever the run
writes: a file the run changed reads differently and is parsed again. A scan that finds every
file as the last scan of the same tree did returns that very ``Codebase``, so what is derived
from it can be remembered too (``derived_once``). Outside ``parsing_once`` nothing is remembered.

A file read again in the run is not even read when its status shows it unchanged
(``read_once``): the same inode, size, modification and change times as when the run read it,
the change time older than that read by more than the file system's clock can blur (git's
"racy clean" rule). Any write to a file sets its change time to the present, which no one can
set back; a write so close to the run's read that the change time cannot tell them apart makes
the file look racy, and it is read again. The shortcut is off with the others
(``shimkit.domain.shortcuts``).
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

from shimkit.domain import shortcuts
from shimkit.domain.model import ParseFailure

from .codebase import Codebase, SourceFile

Parsed = tuple[SourceFile | None, tuple[ParseFailure, ...]]
T = TypeVar("T")
# inode, size, modification and change time (ns): what a write to the file changes
Signature = tuple[int, int, int, int]
# how far a change time can lie before the write that set it (the kernel's clock tick, a file
# server's clock): a file changed this close to the run's read of it is read again
RACY_NS = 2_000_000_000


@dataclass
class _RunMemo:
    parsed: dict[tuple[str, str, bytes], Parsed] = field(default_factory=dict)
    scans: dict[Hashable, Codebase] = field(default_factory=dict)  # the last scan of each tree
    # keyed on the codebase's identity: the codebase is kept in the value, so the id stays its own
    derived: dict[tuple[int, Hashable], tuple[Codebase, Any]] = field(default_factory=dict)
    # per file path: its signature when the run read it, and the digest of what it read
    read: dict[str, tuple[Signature, bytes]] = field(default_factory=dict)
    # per question and parsed file (its identity: the file is kept in the value)
    per_file: dict[Hashable, dict[int, tuple[SourceFile, Any]]] = field(default_factory=dict)


_MEMO: ContextVar[_RunMemo | None] = ContextVar("shimkit_parse_memo", default=None)


@contextmanager
def parsing_once() -> Iterator[None]:
    """Within: a file whose content was parsed already in this context is not parsed again
    (nested contexts share the outermost one's memo)."""
    if _MEMO.get() is not None:
        yield
        return
    token = _MEMO.set(_RunMemo())
    try:
        yield
    finally:
        _MEMO.reset(token)


def _digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=20).digest()


def parsed_once(rel: str, src: str, data: bytes, parse: Callable[[], Parsed]) -> Parsed:
    """``parse()`` of the file ``rel`` (content ``data``, import root ``src``), or what it
    returned for the same content earlier in the run."""
    memo = _MEMO.get()
    if memo is None:
        return parse()
    return _remembered(memo, (rel, src, _digest(data)), parse)


def _remembered(memo: _RunMemo, key: tuple[str, str, bytes], parse: Callable[[], Parsed]) -> Parsed:
    if key not in memo.parsed:
        memo.parsed[key] = parse()
    return memo.parsed[key]


def signature(status: os.stat_result) -> Signature:
    return (status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns)


def read_once(
    path: str, rel: str, src: str, status: os.stat_result, parse: Callable[[bytes], Parsed]
) -> Parsed:
    """``parse(data)`` of the file at ``path`` (``rel`` under the root, import root ``src``)
    whose status (``os.lstat``) is ``status``, taken before it is read; within
    ``parsing_once``, what it returned for the same content earlier in the run, without reading
    the file again when ``status`` shows it unchanged since the run read it."""
    memo = _MEMO.get()
    if memo is None:
        return parse(_read(path, status.st_size))
    seen = signature(status)
    known = memo.read.get(path) if shortcuts.enabled() else None
    if known is not None and known[0] == seen:
        key = (rel, src, known[1])
        if key in memo.parsed:
            return memo.parsed[key]
    began = _now()
    data = _read(path, status.st_size)
    digest = _digest(data)
    if status.st_ctime_ns < began - RACY_NS:
        memo.read[path] = (seen, digest)
    else:  # changed too recently to tell a later write by its status
        memo.read.pop(path, None)
    return _remembered(memo, (rel, src, digest), lambda: parse(data))


def _now() -> int:
    """The wall clock (ns), which change times are set from."""
    return time.time_ns()


def _read(path: str, size: int = 0) -> bytes:
    """The bytes of the file at ``path`` up to its end, asked for at the ``size`` its status
    gave (a file that grew since is read on to its end): a file object costs more than the
    read of a small file (30,000 files: 0.57 s against 0.27 s with ``open``)."""
    handle = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        chunks = [os.read(handle, size + 1)]
        while chunks[-1]:  # the file grew, or is larger than said: on to its end
            chunks.append(os.read(handle, max(size, 1 << 16)))
        return b"".join(chunks)
    finally:
        os.close(handle)


def same_scan(tree: Hashable, scanned: Codebase) -> Codebase:
    """The codebase the last scan of ``tree`` returned when it holds the very same parses (and
    failures) as ``scanned``; else ``scanned``, remembered as the last scan of ``tree``."""
    memo = _MEMO.get()
    if memo is None:
        return scanned
    last = memo.scans.get(tree)
    if (
        last is not None
        and len(last.files) == len(scanned.files)
        and all(a is b for a, b in zip(last.files, scanned.files, strict=True))
        and last.parse_failures == scanned.parse_failures
    ):
        return last
    if last is not None:  # the tree changed: what was derived from it is not kept for the run
        gone = id(last)
        memo.derived = {slot: kept for slot, kept in memo.derived.items() if slot[0] != gone}
    memo.scans[tree] = scanned
    return scanned


def derived_once(codebase: Codebase, key: Hashable, derive: Callable[[], T]) -> T:
    """``derive()`` for ``codebase`` and ``key``, or what it returned for them earlier in the run
    (``derive`` must depend on nothing else)."""
    memo = _MEMO.get()
    if memo is None:
        return derive()
    slot = (id(codebase), key)
    if slot not in memo.derived:
        memo.derived[slot] = (codebase, derive())
    value: T = memo.derived[slot][1]
    return value


def file_memo(question: Hashable) -> dict[int, tuple[SourceFile, Any]] | None:
    """Within ``parsing_once`` (and with the shortcuts on), the run's answers to ``question``
    for each parsed file, as ``{id(file): (file, answer)}``: a file the run reads again with the
    same content is the same ``SourceFile``, in the tree or its working copy. The caller keeps
    in the answer whatever else it depended on, and checks it before using it again. None
    outside a run."""
    memo = _MEMO.get()
    if memo is None or not shortcuts.enabled():
        return None
    return memo.per_file.setdefault(question, {})
