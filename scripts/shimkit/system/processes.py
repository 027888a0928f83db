"""Child processes of the kit: every one runs under a supervisor, so none outlives the kit.

A child (pytest, lint-imports, an import check, git) and everything it starts die when the kit
ends, however it ends: normally, by an exception (the supervisor is told to stop), or killed (the
kernel tells the supervisor; see ``supervisor.py``).
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO

from shimkit.system.scratch import process_start
from shimkit.system.supervisor import EXEC_FAILED, EXEC_FAILED_MARKER

__all__ = [
    "child_env",
    "combined_output",
    "run_bytes",
    "run_child",
    "start_child",
    "supervised",
    "tail",
]

SUPERVISOR = Path(__file__).with_name("supervisor.py")
_STOP_GRACE = 10.0  # seconds the supervisor gets to end its command's tree before it is killed


def seconds_since_start() -> float:
    """How long this process has run (to 10 ms, from /proc; 0 where /proc cannot tell)."""
    started = process_start(os.getpid())
    try:
        uptime = float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, IndexError, ValueError):
        return 0.0
    return max(uptime - started / os.sysconf("SC_CLK_TCK"), 0.0) if started else 0.0


def peak_memory_mb() -> float:
    """The largest resident set so far of this process (its own, not what it inherited across
    exec from the process that started it) or of a child it waited for (an import check, pytest,
    lint-imports), in MB: a high-water mark, it never goes down."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    try:
        status = Path(f"/proc/{os.getpid()}/status").read_text()
        own = next(int(line.split()[1]) for line in status.splitlines() if line[:6] == "VmHWM:")
    except (OSError, StopIteration, IndexError, ValueError):
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return max(own, children) / 1024  # both in kilobytes on Linux


def child_env(pythonpath: Sequence[Path | str]) -> dict[str, str]:
    """This process's environment with ``PYTHONPATH`` replaced and bytecode writing off."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(str(path) for path in pythonpath)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONIOENCODING"] = "utf-8"
    env.pop("PYTHONSTARTUP", None)
    return env


def tail(text: str, lines: int = 30) -> str:
    """The last ``lines`` lines of ``text``."""
    return "\n".join(text.rstrip().splitlines()[-lines:])


def combined_output(stdout: str, stderr: str) -> str:
    """A child's output for a person: stdout, then stderr if it said anything."""
    return stdout + (("\n" + stderr) if stderr.strip() else "")


def supervised(command: Sequence[str]) -> list[str]:
    """``command`` as the supervisor runs it on behalf of this process."""
    return [sys.executable, "-I", "-S", str(SUPERVISOR), str(os.getpid()), "--", *command]


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Tell the supervisor to end its command's whole tree, and wait for it."""
    with contextlib.suppress(OSError):
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(_STOP_GRACE)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _exec_failure(stderr: bytes) -> OSError | None:
    for line in stderr.decode(errors="replace").splitlines():
        if line.startswith(EXEC_FAILED_MARKER):
            number, _, message = line[len(EXEC_FAILED_MARKER) :].partition(" ")
            return OSError(int(number) if number.isdigit() else 0, message)
    return None


def run_bytes(
    command: Sequence[str],
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    heartbeat: Callable[[float], None] | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run ``command`` in ``cwd`` with no stdin, capturing its output as bytes; ``heartbeat`` is
    called about every second with the seconds elapsed, while it runs.

    Raises ``OSError`` when the command cannot be started and ``subprocess.TimeoutExpired`` past
    ``timeout``; either way, and on any exception here, the command's whole tree is ended first.
    """
    process = subprocess.Popen(
        supervised(command),
        cwd=cwd,
        env=None if env is None else dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        stdout, stderr = _communicate(process, timeout, heartbeat)
    except subprocess.TimeoutExpired:
        _stop(process)
        stdout, stderr = process.communicate()
        # what it wrote before it was stopped: its last lines say where it hung
        raise subprocess.TimeoutExpired(list(command), timeout or 0, stdout, stderr) from None
    except BaseException:  # interrupted: end the tree, then let the caller's cleanup run
        _stop(process)
        raise
    if process.returncode == EXEC_FAILED and (failure := _exec_failure(stderr)) is not None:
        raise failure
    return subprocess.CompletedProcess(list(command), process.returncode, stdout, stderr)


def _communicate(
    process: subprocess.Popen[bytes],
    timeout: float | None,
    heartbeat: Callable[[float], None] | None,
) -> tuple[bytes, bytes]:
    """``process.communicate(timeout)``, waking every second for ``heartbeat`` (communicate may
    be called again after its TimeoutExpired: no output is lost)."""
    if heartbeat is None:
        return process.communicate(timeout=timeout)
    start = time.monotonic()
    while True:
        elapsed = time.monotonic() - start
        left = None if timeout is None else timeout - elapsed
        if left is not None and left <= 0:
            raise subprocess.TimeoutExpired(process.args, timeout or 0)
        try:
            return process.communicate(timeout=1.0 if left is None else min(1.0, left))
        except subprocess.TimeoutExpired:
            heartbeat(time.monotonic() - start)


def run_child(
    command: Sequence[str],
    root: Path,
    env: Mapping[str, str],
    timeout: float | None = None,
    heartbeat: Callable[[float], None] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``command`` in ``root`` with no stdin, capturing text output (undecodable bytes
    replaced); raises ``subprocess.TimeoutExpired`` past ``timeout``, carrying the text output
    so far."""
    try:
        done = run_bytes(command, root, env, timeout, heartbeat)
    except subprocess.TimeoutExpired as expired:
        output, errors = (_text(part) if isinstance(part, bytes) else "" for part in
                          (expired.output, expired.stderr))
        raise subprocess.TimeoutExpired(expired.cmd, expired.timeout, output, errors) from None
    return subprocess.CompletedProcess(
        done.args,
        done.returncode,
        _text(done.stdout),
        _text(done.stderr),
    )


def _text(data: bytes) -> str:
    # the same newline handling as ``subprocess.run(text=True)``
    return data.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n")


def start_child(
    command: Sequence[str],
    root: Path,
    env: Mapping[str, str],
    stderr: IO[bytes] | int | None = None,
) -> subprocess.Popen[bytes]:
    """Start a long-lived ``command`` in ``root`` with pipes to its stdin and stdout (bytes), in
    a session of its own so that it and every process it forks can be killed as one group
    (``os.killpg(process.pid, ...)``); the caller owns it and must stop it. It must end when its
    stdin closes: that is how it learns the kit is gone, however the kit ended."""
    return subprocess.Popen(
        list(command),
        cwd=root,
        env=dict(env),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=stderr,
        start_new_session=True,
    )
