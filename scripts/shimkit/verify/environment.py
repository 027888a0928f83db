"""The environment every child process of the verify layer runs in."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

__all__ = ["child_env", "combined_output", "run_child", "start_child", "tail"]


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


def run_child(
    command: Sequence[str],
    root: Path,
    env: Mapping[str, str],
    timeout: float | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``command`` in ``root`` with no stdin, capturing text output (undecodable bytes
    replaced).

    Past ``timeout``, or when this process is interrupted, the child and every process it started
    are killed (it runs in a process group of its own); a timeout then raises
    ``subprocess.TimeoutExpired`` carrying the text output so far in ``output``/``stderr``.
    """
    with subprocess.Popen(
        list(command),
        cwd=root,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        errors="replace",
        start_new_session=True,
    ) as process:
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            stdout, stderr = _drain(process)
            raise subprocess.TimeoutExpired(process.args, timeout or 0, stdout, stderr) from None
        except BaseException:
            _kill_group(process)
            raise
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def _kill_group(process: subprocess.Popen[str]) -> None:
    if not hasattr(os, "killpg"):  # no process groups (Windows): the child alone
        process.kill()
        return
    with contextlib.suppress(ProcessLookupError):  # the whole group is gone already
        os.killpg(process.pid, signal.SIGKILL)


def _drain(process: subprocess.Popen[str]) -> tuple[str, str]:
    """What the killed child wrote; nothing if a process that left its group holds the pipes."""
    try:
        stdout, stderr = process.communicate(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        return "", ""
    return stdout or "", stderr or ""


def start_child(
    command: Sequence[str],
    root: Path,
    env: Mapping[str, str],
    stderr: IO[bytes] | int | None = None,
) -> subprocess.Popen[bytes]:
    """Start ``command`` in ``root`` with pipes to its stdin and stdout (bytes), in a session of
    its own so that it and every process it forks can be killed as one group
    (``os.killpg(process.pid, ...)``); the caller owns it and must stop it."""
    return subprocess.Popen(
        list(command),
        cwd=root,
        env=dict(env),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=stderr,
        start_new_session=True,
    )
