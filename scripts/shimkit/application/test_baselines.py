"""Which tests a verification runs, and the test runs the kit keeps for a tree's content.

A finished test run is recorded under a key made of what can change its result: the content of
every file git sees in the tree (``system.git_content``: tracked files as they are, untracked
ones git does not ignore), what is run (the plan's test paths or its test command), the
interpreter and the distributions installed in it. A later run that needs a baseline result for
the same key (step 5 comparing with step 1's tree, a second ``retire_shims.py`` over the same
tree) reuses it instead of running the tests at the baseline commit again. Runs that did not
finish (a timeout, a crash) are never recorded. The records live in the repository's git
directory (``<git-dir>/shimkit/test-results``), the newest ``KEPT`` of them; deleting that folder
only costs the runs again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from shimkit.application.run_context import ports
from shimkit.application.workspace import Workspace
from shimkit.apply.state_file import read_json, state_dir, write_json
from shimkit.domain.phases import TESTS, timed
from shimkit.verify import CollectionError, TestOutcome, TestRun

KEPT = 64  # records kept per repository (the oldest go first)
FOLDER = "test-results"
_FORMAT = 1


@dataclass(frozen=True)
class TestSuite:
    """What a test run runs: pytest on ``paths``, or the project's own ``command``."""

    __test__ = False  # not a pytest test class

    paths: tuple[str, ...] = ()
    command: tuple[str, ...] = ()
    source: str = ""  # where it comes from, for a person


def plan_tests(workspace: Workspace) -> TestSuite | None:
    """The tests the plan names: its test command, else those of its test paths the tree has."""
    if workspace.plan.test_command:
        return TestSuite(command=workspace.plan.test_command, source="the plan's test command")
    declared = tuple(p for p in workspace.plan.test_paths if (workspace.root / p).exists())
    if declared:
        return TestSuite(declared, source=f"the plan's test paths: {len(declared)} path(s)")
    return None


@dataclass(frozen=True)
class Recorded:
    """A run recorded for a key, and when."""

    run: TestRun
    when: str  # UTC, ISO 8601 to the second
    selected: tuple[str, ...] | None  # the tests it was restricted to; None: all of them


@timed(TESTS)  # the content id of the tree is the test runs' own cost
def suite_key(root: Path, src: str, suite: TestSuite, commit: str | None = None) -> str | None:
    """The key of ``suite`` run on the tree at ``root`` (its work tree, or ``commit`` of it);
    None when git cannot tell the tree's content."""
    ids = ports().git.content_ids(Path(root), commit)
    if ids is None:
        return None
    digest = hashlib.sha256()
    context = {
        "format": _FORMAT,
        "src": src,
        "paths": list(suite.paths),
        "command": list(suite.command),
        "program": ports().processes.which(suite.command[0]) if suite.command else None,
        "python": [sys.executable, sys.version],
        "installed": _installed(),
    }
    digest.update(json.dumps(context, sort_keys=True).encode())
    for path, blob in sorted(ids.items()):
        digest.update(f"\n{path}\0{blob}".encode())
    return digest.hexdigest()


@cache
def _installed() -> tuple[str, ...]:
    """The distributions this interpreter has: an upgrade can change what a test does."""
    found = {f"{d.metadata['Name']}=={d.version}" for d in metadata.distributions()}
    return tuple(sorted(found))


class RecordedRuns:
    """The test runs recorded for ``repository`` (the user's tree, also for a working copy)."""

    def __init__(self, repository: Path) -> None:
        self.folder = state_dir(Path(repository)) / FOLDER

    def record(self, key: str | None, run: TestRun, selected: Sequence[str] | None = None) -> None:
        """Keep ``run`` (restricted to ``selected``, if given) under ``key``, if it finished."""
        if key is None or run.run_failed:
            return
        entry = {
            "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "selected": None if selected is None else list(selected),
            "run": asdict(run),
        }
        path = self.folder / f"{key}.json"
        runs = [e for e in self._entries(key) if e.get("selected") is not None] + [entry]
        if selected is None:
            runs = [entry]  # a whole run says all a part could
        write_json(path, {"format": _FORMAT, "runs": runs})
        self._prune()

    def covering(self, key: str | None, wanted: Sequence[str] | None = None) -> Recorded | None:
        """A run recorded under ``key`` that ran every test within ``wanted`` (None: a whole
        run), the latest first."""
        if key is None:
            return None
        for entry in reversed(self._entries(key)):
            selected = entry.get("selected")
            whole = selected is None
            if whole or (wanted is not None and set(wanted) <= set(selected)):
                try:
                    run = _run_from(entry["run"])
                except (KeyError, TypeError):  # a damaged record is no record
                    continue
                chosen = None if whole else tuple(selected)
                return Recorded(run, str(entry.get("when", "")), chosen)
        return None

    def _entries(self, key: str) -> list[dict[str, Any]]:
        try:
            data = read_json(self.folder / f"{key}.json")
        except (OSError, ValueError):  # a damaged record is no record
            return []
        if data is None or data.get("format") != _FORMAT:
            return []
        runs = data.get("runs")
        return (
            [entry for entry in runs if isinstance(entry, dict)] if isinstance(runs, list) else []
        )

    def _prune(self) -> None:
        records = sorted(self.folder.glob("*.json"), key=lambda p: p.stat().st_mtime)
        for old in records[:-KEPT]:
            with contextlib.suppress(OSError):  # another run pruned it first
                os.unlink(old)


def _run_from(data: dict[str, Any]) -> TestRun:
    return TestRun(
        exit_code=data["exit_code"],
        outcomes=tuple(TestOutcome(**o) for o in data["outcomes"]),
        output_tail=data["output_tail"],
        missing_paths=tuple(data["missing_paths"]),
        collection_errors=tuple(CollectionError(**e) for e in data["collection_errors"]),
        node_ids=tuple(data["node_ids"]),
        problem=data["problem"],
        by_exit_code=data["by_exit_code"],
    )
