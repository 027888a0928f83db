"""SIGTERM, SIGHUP and SIGINT become an exception, so every ``finally`` of the kit runs."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

__all__ = ["STOP_SIGNALS", "Interrupted", "deferred", "interruptible"]

STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)


class Interrupted(BaseException):
    """The run was asked to stop by a signal (a BaseException: no ``except Exception`` eats it)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name


def _raise(signum: int, frame: FrameType | None) -> None:
    raise Interrupted(signum)


@contextmanager
def interruptible() -> Iterator[None]:
    """Within the block, a stop signal raises :class:`Interrupted` (main thread only)."""
    previous: dict[int, Callable[[int, FrameType | None], Any] | int | None] = {}
    for signum in STOP_SIGNALS:
        previous[int(signum)] = signal.signal(signum, _raise)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler if handler is not None else signal.SIG_DFL)


@contextmanager
def deferred() -> Iterator[None]:
    """Within the block, stop signals wait (they are delivered when it ends): for a few
    milliseconds of renames that must not be cut short by anything but SIGKILL."""
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
