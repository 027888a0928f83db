"""Type checking of the files a change touched, with the project's own mypy configuration.

A project without a mypy configuration is reported as such, never checked with the kit's idea
of strictness.
"""

from __future__ import annotations

import configparser
import importlib.util
import subprocess
import sys
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from shimkit.system.processes import child_env, combined_output, run_child, tail

__all__ = ["TypeCheck", "mypy_config", "run_mypy"]

_INI_FILES = ("mypy.ini", ".mypy.ini")


@dataclass(frozen=True)
class TypeCheck:
    configured: str | None  # the configuration file mypy read; None: the project has none
    ran: bool  # mypy ran to its end on the files
    ok: bool
    errors: tuple[str, ...] = ()  # mypy's "file:line: error: ..." lines
    problem: str = ""  # why mypy did not run, or its last lines when it failed otherwise


def mypy_config(root: Path) -> str | None:
    """The file holding the project's mypy configuration, as mypy itself looks for it."""
    for name in _INI_FILES:
        if (root / name).is_file():
            return name
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        try:
            data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            data = {}
        tool = data.get("tool")
        if isinstance(tool, dict) and "mypy" in tool:
            return "pyproject.toml"
    setup_cfg = root / "setup.cfg"
    if setup_cfg.is_file():
        parser = configparser.ConfigParser()
        try:
            parser.read(setup_cfg, encoding="utf-8")
        except (configparser.Error, UnicodeDecodeError):
            return None
        if parser.has_section("mypy"):
            return "setup.cfg"
    return None


def run_mypy(
    root: Path, src: str, files: Sequence[str], *, timeout: float = 1800.0
) -> TypeCheck:
    """mypy on ``files`` (root-relative) with the project's configuration, from ``root``."""
    config = mypy_config(root)
    if config is None:
        return TypeCheck(None, False, False, problem="not configured")
    if importlib.util.find_spec("mypy") is None:
        return TypeCheck(config, False, False, problem="mypy is not installed")
    if not files:
        return TypeCheck(config, True, True)
    command = [sys.executable, "-m", "mypy", "--no-color-output", "--config-file", config, *files]
    try:
        process = run_child(command, root, child_env([root / src]), timeout)
    except subprocess.TimeoutExpired:
        return TypeCheck(config, False, False, problem=f"mypy did not finish within {timeout:g} s")
    output = combined_output(process.stdout, process.stderr)
    errors = tuple(line for line in output.splitlines() if ": error:" in line)
    if process.returncode not in (0, 1) or (process.returncode == 1 and not errors):
        return TypeCheck(config, False, False, problem=tail(output, 5))
    return TypeCheck(config, True, process.returncode == 0, errors)
