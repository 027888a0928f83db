"""Run pytest on a tree, read its JUnit XML, and tell regressions from pre-existing failures."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from shimkit.system.processes import child_env, run_child, tail
from shimkit.verify.worktree import temporary_worktree

__all__ = [
    "PRE_EXISTING",
    "REGRESSION",
    "TestOutcome",
    "TestRun",
    "classify_failures",
    "collect_node_ids",
    "run_tests",
]

PRE_EXISTING = "pre-existing"
REGRESSION = "regression"
NO_TESTS_COLLECTED = 5

# worst first: the outcome a node id gets when JUnit reports it more than once (call + teardown)
_SEVERITY = {"error": 0, "failed": 1, "skipped": 2, "passed": 3}


@dataclass(frozen=True)
class TestOutcome:
    __test__ = False  # not a pytest test class

    node_id: str
    outcome: str  # "passed" | "failed" | "error" | "skipped"
    message: str = ""


@dataclass(frozen=True)
class TestRun:
    __test__ = False

    exit_code: int  # pytest's; 5 = no tests collected (also when every path was missing)
    outcomes: tuple[TestOutcome, ...]
    output_tail: str
    missing_paths: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    @property
    def no_tests(self) -> bool:
        return self.exit_code == NO_TESTS_COLLECTED

    @property
    def failures(self) -> tuple[str, ...]:
        return tuple(o.node_id for o in self.outcomes if o.outcome in ("failed", "error"))

    @property
    def collected(self) -> int:
        return len(self.outcomes)

    @property
    def passed(self) -> int:
        return self.count("passed")

    def count(self, outcome: str) -> int:
        return sum(1 for o in self.outcomes if o.outcome == outcome)


def _path_part(node_or_path: str) -> str:
    return node_or_path.split("::", 1)[0]


def _node_id(root: Path, case: ET.Element) -> str:
    classname = case.get("classname", "")
    name = case.get("name", "")
    file = case.get("file")
    if file and not classname:  # a collection error: the file itself
        return file.replace("\\", "/")
    if file:
        module = re.sub(r"\.py$", "", file).replace("\\", "/").replace("/", ".")
        rest = classname[len(module) :].lstrip(".") if classname.startswith(module) else ""
        return "::".join(part for part in (file.replace("\\", "/"), *rest.split("."), name) if part)
    # no file attribute: find the longest dotted prefix of classname that is a file under root
    dotted = [p for p in classname.split(".") if p] if classname else name.split(".")
    for cut in range(len(dotted), 0, -1):
        candidate = "/".join(dotted[:cut]) + ".py"
        if (root / candidate).is_file():
            tail_parts = dotted[cut:] + ([name] if classname else [])
            return "::".join([candidate, *tail_parts])
    return f"{classname}::{name}" if classname else name


def _outcome(case: ET.Element) -> tuple[str, str]:
    for tag, outcome in (("error", "error"), ("failure", "failed"), ("skipped", "skipped")):
        element = case.find(tag)
        if element is not None:
            lines = (element.get("message") or "").strip().splitlines()
            return outcome, lines[0] if lines else ""
    return "passed", ""


def parse_junit(root: Path, xml_text: str) -> tuple[TestOutcome, ...]:
    """Per-test outcomes from a JUnit XML report (node ids relative to ``root``)."""
    try:
        document = ET.fromstring(xml_text)
    except ET.ParseError:
        return ()
    merged: dict[str, TestOutcome] = {}
    for case in document.iter("testcase"):
        node_id = _node_id(root, case)
        outcome, message = _outcome(case)
        previous = merged.get(node_id)
        if previous is None or _SEVERITY[outcome] < _SEVERITY[previous.outcome]:
            merged[node_id] = TestOutcome(node_id, outcome, message)
    return tuple(merged.values())


def run_tests(root: Path, src: str, paths: Sequence[str], *, timeout: float = 3600.0) -> TestRun:
    """``python -m pytest -q`` on ``paths`` (files, dirs or node ids) under ``root``.

    Paths that do not exist are skipped and listed in ``missing_paths``; when none is left pytest
    is not started and the run reports exit status 5 (no tests collected).
    """
    root = Path(os.path.realpath(root))
    present = [path for path in paths if (root / _path_part(path)).exists()]
    missing = tuple(path for path in paths if path not in present)
    if not present:
        return TestRun(NO_TESTS_COLLECTED, (), "no test paths exist: " + ", ".join(paths), missing)
    handle, report = tempfile.mkstemp(prefix="shimkit-junit-", suffix=".xml")
    os.close(handle)
    command = [
        sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
        f"--rootdir={root}", "-o", "junit_family=xunit1", f"--junitxml={report}",
        "--continue-on-collection-errors",
        "--", *present,
    ]  # fmt: skip
    try:
        try:
            process = run_child(command, root, child_env([root / src]), timeout)
        except subprocess.TimeoutExpired:
            return TestRun(2, (), f"pytest did not finish within {timeout:g} s", missing)
        xml_text = Path(report).read_text(encoding="utf-8") if os.path.getsize(report) else ""
    finally:
        os.unlink(report)
    output = process.stdout + (("\n" + process.stderr) if process.stderr.strip() else "")
    return TestRun(process.returncode, parse_junit(root, xml_text), tail(output), missing)


def collect_node_ids(root: Path, src: str, paths: Sequence[str]) -> tuple[str, ...]:
    """Node ids pytest collects from ``paths`` (existing ones only) under ``root``."""
    root = Path(os.path.realpath(root))
    present = [path for path in paths if (root / _path_part(path)).exists()]
    if not present:
        return ()
    process = run_child(
        [sys.executable, "-m", "pytest", "-q", "--collect-only", "-p", "no:cacheprovider",
         f"--rootdir={root}", "--", *present],
        root,
        child_env([root / src]),
    )  # fmt: skip
    return tuple(line.strip() for line in process.stdout.splitlines() if "::" in line)


def classify_failures(
    root: Path, src: str, failures: Sequence[str], baseline_commit: str
) -> dict[str, str]:
    """Re-run the failing node ids on ``baseline_commit`` (a temporary git worktree).

    Each is "pre-existing" when it fails (or errors) there too, "regression" when it passes or is
    skipped there, or does not exist there.
    """
    verdict = dict.fromkeys(failures, REGRESSION)
    if not failures:
        return verdict
    with temporary_worktree(Path(root), baseline_commit) as tree:
        files = list(dict.fromkeys(_path_part(node) for node in failures))
        existing = set(collect_node_ids(tree, src, files))
        # a node id without "::" is a file that failed to collect: re-run it if it exists there
        to_run = [
            node
            for node in failures
            if node in existing or ("::" not in node and (tree / node).is_file())
        ]
        if not to_run:
            return verdict
        run = run_tests(tree, src, to_run)
        for outcome in run.outcomes:
            if outcome.node_id in verdict and outcome.outcome in ("failed", "error"):
                verdict[outcome.node_id] = PRE_EXISTING
    return verdict
