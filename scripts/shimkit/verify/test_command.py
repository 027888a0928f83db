"""The project's own test command (the plan's ``test_command``): ``pytest -x tests/unit``,
``python -m pytest``, ``python runtests.py``.

A command that runs pytest is read per test through the kit's probe plugin (``tests_runner``).
Any other is judged by its exit status alone: what it prints is for a person, and the kit never
parses it.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from pathlib import PurePath

_PYTHON = re.compile(r"python(\d+(\.\d+)?)?(\.exe)?")
_PYTEST = ("pytest", "py.test")


def runs_pytest(command: Sequence[str]) -> bool:
    """``pytest ...``, ``py.test ...`` or ``python -m pytest ...`` (any Python)."""
    if not command:
        return False
    program = PurePath(command[0]).name
    if program in _PYTEST:
        return True
    module = list(command[1:3])
    return bool(_PYTHON.fullmatch(program)) and module in (["-m", name] for name in _PYTEST)


def describe(command: Sequence[str]) -> str:
    """The command as a person would type it in a shell."""
    return shlex.join(command)
