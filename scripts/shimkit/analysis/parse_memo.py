"""One parse of each file per run: a file read again with the same content is not parsed again.

A run (step 5 above all: its scope, its verification, its success criteria and the planning of
each pending step) looks at the same tree several times. The memo is keyed on what was read (the
file's path, the import root and a digest of its bytes), so it stays true whatever the run
writes: a file the run changed reads differently and is parsed again. Outside ``parsing_once``
nothing is remembered.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from shimkit.domain.model import ParseFailure

from .codebase import SourceFile

Parsed = tuple[SourceFile | None, tuple[ParseFailure, ...]]
_Key = tuple[str, str, bytes]

_MEMO: ContextVar[dict[_Key, Parsed] | None] = ContextVar("shimkit_parse_memo", default=None)


@contextmanager
def parsing_once() -> Iterator[None]:
    """Within: a file whose content was parsed already in this context is not parsed again
    (nested contexts share the outermost one's memo)."""
    if _MEMO.get() is not None:
        yield
        return
    token = _MEMO.set({})
    try:
        yield
    finally:
        _MEMO.reset(token)


def parsed_once(rel: str, src: str, data: bytes, parse: Callable[[], Parsed]) -> Parsed:
    """``parse()`` of the file ``rel`` (content ``data``, import root ``src``), or what it
    returned for the same content earlier in the run."""
    memo = _MEMO.get()
    if memo is None:
        return parse()
    key = (rel, src, hashlib.blake2b(data, digest_size=20).digest())
    if key not in memo:
        memo[key] = parse()
    return memo[key]
