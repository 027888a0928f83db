"""Is a shim's name the very object of its source (a re-export), not a copy? One interpreter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from shimkit.domain.phases import IMPORT_CHECKS, timed
from shimkit.system.processes import child_env, run_child, tail

__all__ = ["check_identity"]

_MARKER = "@@shimkit-identity@@"

# argv[1]: json list of [shim_module, name, source_module, source_name]; prints json problems
_CHILD = r"""
import importlib, json, os, sys, traceback, warnings

warnings.simplefilter("ignore")
problems = []
modules = {}

def load(name):
    if name not in modules:
        try:
            modules[name] = (importlib.import_module(name), None)
        except BaseException as exc:
            last = traceback.format_exception_only(type(exc), exc)[-1].strip()
            modules[name] = (None, last)
    return modules[name]

reported = set()
for shim, name, source, source_name in json.loads(sys.argv[1]):
    objects = []
    for module_name, attribute in ((shim, name), (source, source_name)):
        module, error = load(module_name)
        if module is None:
            if module_name not in reported:
                reported.add(module_name)
                problems.append(f"cannot import {module_name}: {error}")
            break
        if not hasattr(module, attribute):
            problems.append(f"{module_name} has no attribute {attribute!r}")
            break
        objects.append(getattr(module, attribute))
    else:
        if objects[0] is not objects[1]:
            problems.append(
                f"{shim}.{name} is not {source}.{source_name} (a copy, not a re-export)"
            )

sys.stdout.write("\n" + MARKER + json.dumps(problems) + "\n")
sys.stdout.flush()
os._exit(0)
""".replace("MARKER", repr(_MARKER))


@timed(IMPORT_CHECKS)
def check_identity(
    root: Path,
    src: str,
    pairs: Sequence[tuple[str, str, str, str]],
    *,
    timeout: float = 300.0,
) -> list[str]:
    """For each ``(shim_module, name, source_module, source_name)`` check, in one fresh
    interpreter, that ``shim_module.name is source_module.source_name``; return the problems."""
    if not pairs:
        return []
    root = Path(os.path.realpath(root))
    payload = json.dumps([list(pair) for pair in pairs])
    try:
        process = run_child(
            [sys.executable, "-P", "-c", _CHILD, payload], root, child_env([root / src]), timeout
        )
    except subprocess.TimeoutExpired:
        return [f"identity check did not finish within {timeout:g} s"]
    for line in reversed(process.stdout.splitlines()):
        if line.startswith(_MARKER):
            return [str(problem) for problem in json.loads(line[len(_MARKER) :])]
    last = tail(process.stderr, 1) or f"exit status {process.returncode}"
    return [f"identity check crashed: {last}"]
