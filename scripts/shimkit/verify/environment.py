"""The environment every child process of the verify layer runs in."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

__all__ = ["child_env", "run_child", "start_child", "tail"]


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


def run_child(
    command: Sequence[str],
    root: Path,
    env: Mapping[str, str],
    timeout: float | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``command`` in ``root`` with no stdin, capturing text output (undecodable bytes
    replaced); raises ``subprocess.TimeoutExpired`` past ``timeout``."""
    return subprocess.run(
        list(command),
        cwd=root,
        env=dict(env),
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        stdin=subprocess.DEVNULL,
        timeout=timeout,
    )


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
