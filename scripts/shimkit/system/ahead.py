"""Work begun in a forked process while this one goes on (:func:`forked`).

For work whose output is files and a small result, that this process would otherwise do later,
alone, while a core idles: the working copy of a run is made and committed while the run
analyses the tree (30,000 files: 1.5 to 2 s of the run).

The child runs nothing of this process's stack above the call: every way out of it ends in
``os._exit``, so no ``finally`` or ``atexit`` of the parent runs twice, and no buffered output is
written twice. A stop signal kills it outright, and so does its parent's death (Linux's
``PR_SET_PDEATHSIG``). What it returned or raised comes back pickled.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

from shimkit.system.signals import STOP_SIGNALS
from shimkit.system.supervisor import PR_SET_PDEATHSIG, prctl

__all__ = ["Ahead", "AheadLost", "forked"]

T = TypeVar("T")


class AheadLost(Exception):
    """The forked process ended without a result (killed, or out of memory)."""


class Ahead(Generic[T]):
    """A forked process doing one piece of work; :meth:`result` waits for it."""

    def __init__(self, pid: int, pipe: int) -> None:
        self._pid: int | None = pid
        self._pipe = pipe
        self._outcome: tuple[bool, object] | None = None

    def result(self) -> T:
        """What the work returned; raises what it raised (:class:`AheadLost` when the process
        died without telling)."""
        if self._outcome is None:
            chunks = []
            while chunk := os.read(self._pipe, 1 << 16):
                chunks.append(chunk)
            status = self._reap()
            try:
                self._outcome = pickle.loads(b"".join(chunks))
            except Exception:
                self._outcome = (False, AheadLost(f"the process doing it ended ({_ended(status)})"))
        ok, value = self._outcome
        if not ok:
            assert isinstance(value, BaseException)
            raise value
        return value  # type: ignore[return-value]  # what ``work`` returned, pickled

    def cancel(self) -> None:
        """Stop the process if it still runs (its files are the caller's to remove)."""
        if self._pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._pid, signal.SIGKILL)
            self._reap()

    def _reap(self) -> int:
        pid, self._pid = self._pid, None
        os.close(self._pipe)
        if pid is None:
            return 0
        while True:
            try:
                return os.waitpid(pid, 0)[1]
            except InterruptedError:  # pragma: no cover  # retried by Python since 3.5
                continue
            except ChildProcessError:
                return 0


def _ended(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"killed by {signal.Signals(os.WTERMSIG(status)).name}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"


def can_fork() -> bool:
    """Whether this process can fork safely: POSIX, and no other thread (which could hold a
    lock the child would wait for forever)."""
    return hasattr(os, "fork") and threading.active_count() == 1


@contextmanager
def forked(work: Callable[[], T]) -> Iterator[Ahead[T] | None]:
    """``work()`` begun in a forked process (None where this process cannot fork safely:
    ``can_fork``); the process is killed on leaving if it still runs."""
    if not can_fork():
        yield None
        return
    read_end, write_end = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # pragma: no cover  # the child: coverage is not gathered there
        _child(work, parent, read_end, write_end)
    os.close(write_end)
    ahead: Ahead[T] = Ahead(pid, read_end)
    try:
        yield ahead
    finally:
        ahead.cancel()


def _child(
    work: Callable[[], object], parent: int, read_end: int, write_end: int
) -> None:  # pragma: no cover
    status = 1
    try:
        os.close(read_end)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
        for signum in STOP_SIGNALS:
            signal.signal(signum, signal.SIG_DFL)
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the parent died before the death signal was armed
            return
        try:
            outcome: tuple[bool, object] = (True, work())
        except BaseException as error:  # the parent raises it
            outcome = (False, error)
        try:
            data = pickle.dumps(outcome)
            pickle.loads(data)  # an exception whose arguments do not rebuild it fails here
        except Exception:  # an unpicklable result or exception
            value = outcome[1]
            data = pickle.dumps((False, AheadLost(f"{type(value).__name__}: {value}")))
        view = memoryview(data)
        while view:
            view = view[os.write(write_end, view) :]
        status = 0
    finally:
        os._exit(status)
