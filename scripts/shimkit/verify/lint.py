"""Run the real ``lint-imports`` on a tree and report its verdict."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from shimkit.domain.phases import CONTRACTS, timed
from shimkit.system.processes import child_env, combined_output, run_child

__all__ = ["LintResult", "find_lint_imports", "run_lint_imports"]


@dataclass(frozen=True)
class LintResult:
    ok: bool
    output: str  # stdout and stderr of lint-imports, or why it could not run
    returncode: int | None = None  # None: lint-imports did not run


def find_lint_imports() -> str | None:
    """The ``lint-imports`` console script next to this interpreter, else the one on PATH."""
    beside = Path(sys.executable).parent
    for name in ("lint-imports", "lint-imports.exe"):
        candidate = beside / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which("lint-imports")


@timed(CONTRACTS)
def run_lint_imports(
    root: Path, src: str, config: str = ".importlinter", *, timeout: float = 600.0
) -> LintResult:
    """``lint-imports --no-cache <config>`` with cwd=root, ``PYTHONPATH=<root>/<src>:<root>``."""
    root = Path(os.path.realpath(root))
    if not (root / config).is_file():
        return LintResult(False, f"import-linter config not found: {config}")
    executable = find_lint_imports()
    if executable is None:
        return LintResult(False, "lint-imports not found (pip install import-linter)")
    try:
        process = run_child(
            [executable, "--no-cache", config], root, child_env([root / src, root]), timeout
        )
    except subprocess.TimeoutExpired:
        return LintResult(False, f"lint-imports did not finish within {timeout:g} s")
    except OSError as exc:
        return LintResult(False, f"cannot run lint-imports: {exc}")
    output = combined_output(process.stdout, process.stderr)
    return LintResult(process.returncode == 0, output.strip(), process.returncode)
