"""The environment every child process of the verify layer runs in."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

__all__ = ["child_env", "tail"]


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
