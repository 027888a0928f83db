"""What runs in the child interpreters of an import check. Standard library only: it never imports
the kit, so that nothing of the kit is in ``sys.modules`` when a project module is imported.

    python -P smoke_child.py fresh MODULE SRC_DIR NAMES_JSON
    python -P smoke_child.py serve ROOT SRC_DIR

``fresh`` imports one module and prints its record after a marker line (one interpreter per
module). ``serve`` is the fork server: it reads one request line on stdin (``{"preload": [...],
"modules": [[module, names], ...], "jobs": n, "timeout": s}``), imports the preload modules, purges
any project module they dragged in, reports ``ready`` (and stops there if a thread was started),
then forks one child per module, ``jobs`` at a time, and writes one ``result`` line per module.
Every line it writes on stdout is a JSON object; everything else it or a module prints goes to
stderr (the server's) or to the child's own stderr pipe. End of input on stdin (the kit died)
kills the children and ends the server.

A record is ``{"outcome": "ok" | "import-error", "message", "path", "line", "deprecations":
[{"message", "path", "line"}], "bad_names": [[name, "None" | "missing"]]}``.
"""

from __future__ import annotations

import collections
import importlib
import json
import os
import selectors
import signal
import sys
import threading
import time
import traceback
import warnings
from dataclasses import dataclass, field
from typing import Any

MARKER = "@@shimkit-smoke@@"
STDERR_KEPT = 8192  # bytes of a child's stderr kept for its last line

_original_warn = warnings.warn
_log: list[warnings.WarningMessage] | None = None
_issuers: dict[int, tuple[str, int]] = {}


def _warn(
    message: Any, category: Any = None, stacklevel: int = 1, source: Any = None, **kwargs: Any
) -> None:
    """``warnings.warn`` that remembers which file *issued* each warning, whatever its stacklevel
    blames: a project file that merely imports a warning package is not the one to blame."""
    frame = sys._getframe(1)
    before = len(_log) if _log is not None else 0
    try:
        _original_warn(message, category, stacklevel + 1, source, **kwargs)
    finally:
        if _log is not None:
            for index in range(before, len(_log)):
                _issuers[index] = (frame.f_code.co_filename, frame.f_lineno)


def _in_src(path: str, src_dir: str) -> bool:
    try:
        real = os.path.realpath(path)
    except (TypeError, ValueError):
        return False
    return real == src_dir or real.startswith(src_dir + os.sep)


def record(module: str, src_dir: str, names: list[str]) -> dict[str, Any]:
    """Import ``module`` (warnings recorded, every one of them) and describe what happened."""
    global _log
    _issuers.clear()
    result: dict[str, Any] = {
        "outcome": "ok",
        "message": "",
        "path": None,
        "line": None,
        "deprecations": [],
        "bad_names": [],
    }
    imported = None
    with warnings.catch_warnings(record=True) as log:
        _log = log
        warnings.simplefilter("always")
        try:
            imported = importlib.import_module(module)
        except BaseException as exc:
            result["outcome"] = "import-error"
            result["message"] = traceback.format_exception_only(type(exc), exc)[-1].strip()
            where: tuple[str, int | None] | None = None
            for frame, line in traceback.walk_tb(exc.__traceback__):
                if _in_src(frame.f_code.co_filename, src_dir):
                    where = (frame.f_code.co_filename, line)
            if isinstance(exc, SyntaxError) and exc.filename and _in_src(exc.filename, src_dir):
                where = (exc.filename, exc.lineno)
            if where:
                result["path"], result["line"] = where
        recorded = list(log)
        _log = None
    for index, item in enumerate(recorded):
        if not issubclass(item.category, DeprecationWarning):
            continue
        path, line = _issuers.get(index, (item.filename, item.lineno))
        if _in_src(path, src_dir):
            message = str(item.message)
            result["deprecations"].append({"message": message, "path": path, "line": line})
    if imported is not None:
        for name in names:
            if not hasattr(imported, name):
                result["bad_names"].append([name, "missing"])
            elif getattr(imported, name) is None:
                result["bad_names"].append([name, "None"])
    return result


def fresh(module: str, src_dir: str, names_json: str) -> None:
    warnings.warn = _warn
    result = record(module, os.path.realpath(src_dir), json.loads(names_json))
    sys.stdout.write("\n" + MARKER + json.dumps(result) + "\n")
    sys.stdout.flush()
    os._exit(0)


# -- the fork server -----------------------------------------------------------------------------


@dataclass
class _Child:
    module: str
    pid: int
    result_fd: int
    stderr_fd: int
    started: float
    result: bytearray = field(default_factory=bytearray)
    stderr: bytearray = field(default_factory=bytearray)
    status: int | None = None  # exit status (negative: killed by that signal) once reaped
    timed_out: bool = False


def _preload(names: list[str]) -> list[str]:
    """Import what the project's modules import; the names that failed (the children will fail
    on them the same way, in their own process)."""
    failed: list[str] = []
    for name in names:
        if name in sys.modules:
            continue
        parent, _, attr = name.rpartition(".")
        owner = sys.modules.get(parent)
        if owner is not None and not isinstance(getattr(owner, attr, sys), type(sys)):
            continue  # ``from parent import attr`` takes an object, not a submodule
        try:
            importlib.import_module(name)
        except BaseException:  # a preload may fail in any way; the child reports it
            failed.append(name)
    return failed


def _purge_project(src_dir: str) -> list[str]:
    """Remove project modules a third-party import dragged in: each child imports its own."""
    project = {
        entry.removesuffix(".py") for entry in os.listdir(src_dir) if not entry.startswith(".")
    }
    purged = []
    for name, module in list(sys.modules.items()):
        location = getattr(module, "__file__", None)
        if name.split(".", 1)[0] in project or (location and _in_src(location, src_dir)):
            del sys.modules[name]
            purged.append(name)
    return sorted(purged)


class _Server:
    def __init__(self, root: str, src_dir: str, inbox: int, outbox: int) -> None:
        self.root = root
        self.src_dir = src_dir
        self.inbox = inbox
        self.outbox = outbox
        self.filters = list(warnings.filters)  # the interpreter's defaults, before any preload
        self.children: dict[int, _Child] = {}
        self.selector = selectors.DefaultSelector()
        self.wake_read, self.wake_write = os.pipe()
        self.pid = os.getpid()
        self.prctl = _prctl()

    def send(self, message: dict[str, Any]) -> None:
        data = (json.dumps(message) + "\n").encode()
        while data:
            data = data[os.write(self.outbox, data) :]

    def run(self, modules: list[tuple[str, list[str]]], jobs: int, timeout: float) -> None:
        os.set_blocking(self.wake_write, False)
        signal.set_wakeup_fd(self.wake_write)
        signal.signal(signal.SIGCHLD, lambda signum, frame: None)
        signal.signal(signal.SIGTERM, _terminated)
        self.selector.register(self.inbox, selectors.EVENT_READ)
        self.selector.register(self.wake_read, selectors.EVENT_READ)
        pending = collections.deque(modules)
        try:
            while pending or self.children:
                while pending and len(self.children) < jobs:
                    self._spawn(*pending.popleft())
                deadline = min(c.started + timeout for c in self.children.values())
                for key, _ in self.selector.select(max(0.0, deadline - time.monotonic())):
                    self._readable(key.fd, key.data)
                self._reap()
                for child in list(self.children.values()):
                    if child.status is None and time.monotonic() >= child.started + timeout:
                        child.timed_out = True
                        os.kill(child.pid, signal.SIGKILL)
                        _, status = os.waitpid(child.pid, 0)
                        child.status = _exit_status(status)
                    if child.status is not None:
                        self._finish(child)
        finally:
            for child in self.children.values():
                _kill(child.pid)

    def _spawn(self, module: str, names: list[str]) -> None:
        result_read, result_write = os.pipe()
        stderr_read, stderr_write = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child
            try:
                self._become_child(result_write, stderr_write)
                sys.argv = [sys.argv[0], "fresh", module, self.src_dir, json.dumps(names)]
                payload = json.dumps(record(module, self.src_dir, names)).encode()
                while payload:
                    payload = payload[os.write(result_write, payload) :]
            finally:
                os._exit(0)
        os.close(result_write)
        os.close(stderr_write)
        child = _Child(module, pid, result_read, stderr_read, time.monotonic())
        self.children[pid] = child
        self.selector.register(result_read, selectors.EVENT_READ, child)
        self.selector.register(stderr_read, selectors.EVENT_READ, child)

    def _become_child(self, result_write: int, stderr_write: int) -> None:
        """Drop the server's duties and state: a child is a fresh importer of one module."""
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        if self.prctl is not None:  # Linux: the kernel kills the child if the server dies
            self.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != self.pid:  # the server died before that took effect
            os._exit(1)
        for fd in (self.inbox, self.outbox, self.wake_read, self.wake_write):
            os.close(fd)
        for other in self.children.values():
            os.close(other.result_fd)
            os.close(other.stderr_fd)
        devnull = os.open(os.devnull, os.O_RDWR)
        os.dup2(devnull, 0)
        os.dup2(devnull, 1)
        os.dup2(stderr_write, 2)
        os.close(devnull)
        os.close(stderr_write)
        os.chdir(self.root)
        warnings.filters[:] = self.filters  # type: ignore[index]
        warnings._filters_mutated()  # type: ignore[attr-defined]

    def _readable(self, fd: int, child: _Child | None) -> None:
        if fd == self.inbox:
            if not os.read(self.inbox, 4096):  # the kit is gone: so are we
                raise SystemExit(3)
            return
        if child is None:  # a signal arrived (a child exited)
            os.read(self.wake_read, 4096)
            return
        data = os.read(fd, 65536)
        if not data:
            self.selector.unregister(fd)
            return
        if fd == child.result_fd:
            child.result += data
        else:
            child.stderr = (child.stderr + data)[-STDERR_KEPT:]

    def _reap(self) -> None:
        for child in self.children.values():
            if child.status is None:
                pid, status = os.waitpid(child.pid, os.WNOHANG)
                if pid:
                    child.status = _exit_status(status)

    def _finish(self, child: _Child) -> None:
        """Read what the exited child left in its pipes, report it and forget the child."""
        for fd in (child.result_fd, child.stderr_fd):
            os.set_blocking(fd, False)
            try:
                while data := os.read(fd, 65536):
                    if fd == child.result_fd:
                        child.result += data
                    else:
                        child.stderr = (child.stderr + data)[-STDERR_KEPT:]
            except BlockingIOError:  # a grandchild still holds the pipe open
                pass
            if fd in self.selector.get_map():
                self.selector.unregister(fd)
            os.close(fd)
        del self.children[child.pid]
        try:
            result = json.loads(child.result) if child.result and not child.timed_out else None
        except ValueError:
            result = None
        self.send(
            {
                "event": "result",
                "module": child.module,
                "record": result,
                "stderr": child.stderr.decode("utf-8", "replace"),
                "status": child.status,
                "timed_out": child.timed_out,
                "seconds": time.monotonic() - child.started,
            }
        )


def _exit_status(status: int) -> int:
    return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


def _terminated(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # runs the server's cleanup: its children are killed


_PR_SET_PDEATHSIG = 1


def _prctl() -> Any:
    """Linux's ``prctl``, looked up once in the server (so children need not import ctypes)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


def serve(root: str, src_dir: str) -> None:
    # the protocol gets private copies of stdin/stdout; what modules print goes to stderr
    inbox, outbox = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    os.close(devnull)
    line = b""
    while not line.endswith(b"\n"):
        chunk = os.read(inbox, 65536)
        if not chunk:
            return
        line += chunk
    request = json.loads(line)
    server = _Server(root, os.path.realpath(src_dir), inbox, outbox)
    warnings.warn = _warn
    failed = _preload(list(request["preload"]))
    purged = _purge_project(server.src_dir)
    threads = [thread.name for thread in threading.enumerate()]
    server.send({"event": "ready", "failed": failed, "purged": purged, "threads": threads})
    if len(threads) > 1:
        return  # forking a threaded process can deadlock: the kit falls back to fresh ones
    modules = [(str(m), [str(n) for n in names]) for m, names in request["modules"]]
    server.run(modules, max(1, int(request["jobs"])), float(request["timeout"]))


def main(argv: list[str]) -> None:
    if argv[:1] == ["fresh"] and len(argv) == 4:
        fresh(argv[1], argv[2], argv[3])
    elif argv[:1] == ["serve"] and len(argv) == 3:
        os.chdir(argv[1])
        serve(argv[1], argv[2])
    else:
        raise SystemExit(f"usage: {__doc__.splitlines()[2].strip()}" if __doc__ else "usage")


if __name__ == "__main__":
    main(sys.argv[1:])
