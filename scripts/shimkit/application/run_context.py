"""Where the ports are wired: the local machine's adapters, unless a run is given others (a
test's own git, say) with ``using_ports``. Use cases and planning reach the outside world only
through ``ports()``; they never import ``shimkit.system`` (a contract in kit.importlinter)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from shimkit.application.ports import Ports
from shimkit.system.adapters import LocalFileSystem, LocalGit, LocalProcesses

LOCAL = Ports(git=LocalGit(), files=LocalFileSystem(), processes=LocalProcesses())
_current: ContextVar[Ports] = ContextVar("shimkit_ports", default=LOCAL)


def ports() -> Ports:
    return _current.get()


@contextmanager
def using_ports(given: Ports) -> Iterator[Ports]:
    token = _current.set(given)
    try:
        yield given
    finally:
        _current.reset(token)
