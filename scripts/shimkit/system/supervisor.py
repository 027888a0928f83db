"""Runs one command for the kit and makes sure nothing it starts outlives the kit.

Started as ``python -I -S supervisor.py KIT_PID -- COMMAND...`` (see ``processes.run_bytes``); it
imports nothing of the kit, and as little as it can (it starts for every child of the kit). It
asks the kernel for SIGTERM when its parent dies (``PR_SET_PDEATHSIG``) and to adopt every
orphaned descendant (``PR_SET_CHILD_SUBREAPER``), so a grandchild that started its own session
(a server a test fixture starts) is still found. The command runs in its own process
group and gets SIGKILL if the supervisor dies. When the command ends, or the kit dies, or the kit
asks it to stop (SIGTERM), the supervisor SIGKILLs every descendant left and exits with the
command's status (dying by the same signal if the command was killed by one).
"""

from __future__ import annotations

import _signal  # type: ignore[import-not-found]  # ``signal`` without its enums: quicker to start
import contextlib
import ctypes
import os
import sys
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from types import FrameType

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
EXEC_FAILED = 127
EXEC_FAILED_MARKER = "@@shimkit-supervisor-exec-failed@@"
SIGTERM: int = _signal.SIGTERM
SIGKILL: int = _signal.SIGKILL
_STOP_SIGNALS: tuple[int, ...] = (SIGTERM, _signal.SIGHUP, _signal.SIGINT)


class _Stop(Exception):
    """The kit died or asked the command to stop."""


def prctl(option: int, value: int) -> bool:
    """Linux's ``prctl(option, value)``; False where it failed or there is none."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(option, value, 0, 0, 0)) == 0
    except (OSError, AttributeError):  # not Linux: the process group is all that can be ended
        return False


def descendants(ancestor: int) -> list[int]:
    """Every process below ``ancestor`` that has not been reaped, read from /proc (empty where
    there is none). Zombies count, and so does what lies below them: a killed multithreaded
    process shows as a zombie while its other threads still exit, and its children are not
    handed up to this process before the last one has."""
    children: dict[int, list[int]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    found: list[int] = []
    pending = [ancestor]
    while pending:
        for child in children.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found


def _reap() -> None:
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass


def _end_everything(group: int) -> None:
    """SIGKILL the command's process group and every descendant until none is left."""
    for signum in _STOP_SIGNALS:
        _signal.signal(signum, _signal.SIG_IGN)
    with contextlib.suppress(OSError):
        os.killpg(group, SIGKILL)
    for _ in range(500):
        left = descendants(os.getpid())
        if not left:
            break
        for pid in left:
            with contextlib.suppress(OSError):
                os.kill(pid, SIGKILL)
        time.sleep(0.01)
        _reap()
    _reap()


def _on_stop(signum: int, frame: FrameType | None) -> None:
    raise _Stop(signum)


def _start(command: list[str]) -> int:
    """Fork and exec ``command`` in its own process group, dying with this process."""
    read_end, write_end = os.pipe()
    os.set_inheritable(write_end, False)
    pid = os.fork()
    if pid == 0:  # the child: nothing but system calls until exec
        os.close(read_end)
        try:
            os.setpgid(0, 0)
            prctl(PR_SET_PDEATHSIG, SIGKILL)
            for signum in _STOP_SIGNALS:
                _signal.signal(signum, _signal.SIG_DFL)
            os.execvp(command[0], command)
        except OSError as error:
            os.write(write_end, f"{error.errno or 0} {error.strerror or error}".encode())
        finally:
            os._exit(EXEC_FAILED)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        failure = pipe.read().decode(errors="replace")  # empty: exec succeeded (pipe closed)
    if failure:
        os.waitpid(pid, 0)
        raise _ExecFailed(failure)
    return pid


class _ExecFailed(Exception):
    """The command could not be started (the message: errno, then reason)."""


def main(argv: list[str]) -> int:
    kit, command = int(argv[1]), argv[3:]
    for signum in _STOP_SIGNALS:
        _signal.signal(signum, _on_stop)
    prctl(PR_SET_PDEATHSIG, SIGTERM)
    prctl(PR_SET_CHILD_SUBREAPER, 1)
    if os.getppid() != kit:  # the kit died before the death signal was armed
        return 128 + SIGTERM
    try:
        child = _start(command)
    except _ExecFailed as failure:
        sys.stderr.write(f"{EXEC_FAILED_MARKER}{failure}\n")
        return EXEC_FAILED
    except _Stop:
        return 128 + SIGTERM
    status: int | None = None
    try:
        status = os.waitstatus_to_exitcode(os.waitpid(child, 0)[1])
    except _Stop:
        status = None
    finally:
        _end_everything(child)
    if status is None:
        return 128 + SIGTERM
    if status < 0:  # killed by a signal: end the same way, so the kit sees what the command did
        # SIGKILL's action cannot be set (nor need be)
        with contextlib.suppress(OSError, ValueError):
            _signal.signal(-status, _signal.SIG_DFL)
        os.kill(os.getpid(), -status)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
