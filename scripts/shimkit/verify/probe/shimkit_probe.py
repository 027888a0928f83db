"""A pytest plugin that writes what pytest collected and how every test ended, as JSON.

The kit runs ``python -m pytest -p shimkit_probe`` with this directory on ``PYTHONPATH`` and the
path of the report in ``SHIMKIT_PROBE_REPORT``. Pytest's terminal output is never read, so nothing a
project configures (``addopts`` such as ``-v``/``-q``/``--tb``/``-rA``, other ini files, plugins,
conftests that print) changes what the kit sees. The report is written once, at the end of the
session, and atomically: a pytest that dies early leaves no report at all.

``SHIMKIT_PROBE_SELECT`` may name a JSON list of node ids (or their files, directories, classes):
only the tests within them run. Selecting after collection, rather than naming node ids on the
command line, needs no parsing of ids (parametrised ids may hold ``::``, spaces, brackets) and
never makes pytest refuse an id it does not find.

Standalone: imports nothing of the kit, and not pytest at import time (the kit imports this module
for the report's format).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

if TYPE_CHECKING:
    import pytest

REPORT_ENV = "SHIMKIT_PROBE_REPORT"
SELECT_ENV = "SHIMKIT_PROBE_SELECT"

# worst first: a test's outcome is the worst of its setup, call and teardown
SEVERITY = ("error", "failed", "xpassed", "xfailed", "skipped", "passed")
FAILING = ("error", "failed")


class TestOutcomeRecord(TypedDict):
    node_id: str
    outcome: str  # one of SEVERITY
    message: str  # one line: the exception, the skip or xfail reason


class CollectionErrorRecord(TypedDict):
    node_id: str  # the file (or directory, class) that did not collect
    message: str  # pytest's whole report of the error


class ProbeReport(TypedDict):
    collected: list[str]
    errors: list[CollectionErrorRecord]  # collection errors
    outcomes: list[TestOutcomeRecord]


def is_within(node_id: str, container: str) -> bool:
    """``node_id`` is ``container`` or lies in it (a directory, file, class, parametrised test)."""
    return node_id == container or any(
        node_id.startswith(container + separator) for separator in ("::", "/", "[")
    )


def read_report(path: Path) -> ProbeReport | None:
    """The report written to ``path``, or None when there is none (pytest died before the end)."""
    try:
        report: ProbeReport = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return report


def progress_path(report: Path) -> Path:
    return report.with_name(report.name + ".progress")


def progress_of(report: Path) -> tuple[int, int | None]:
    """Tests done so far, and how many were collected (None: not known yet, or under xdist)."""
    try:
        text = progress_path(report).read_text(encoding="utf-8")
    except OSError:
        return 0, None
    first, _, dots = text.partition("\n")
    total = int(first) if first.isdigit() and first != "0" else None
    return dots.count("."), total


def pytest_configure(config: pytest.Config) -> None:
    report = os.environ.get(REPORT_ENV)
    if not report:  # loaded outside the kit: stay out of the way
        return
    # an xdist worker selects its tests but leaves reporting to the controller, which receives
    # every worker's test reports through the same hooks
    on_worker = hasattr(config, "workerinput")
    probe = _Probe(None if on_worker else Path(report), _selection())
    config.pluginmanager.register(probe, "shimkit-probe")


def _selection() -> list[str] | None:
    path = os.environ.get(SELECT_ENV)
    if not path:
        return None
    selected: list[str] = json.loads(Path(path).read_text(encoding="utf-8"))
    return selected


def _outcome(report: pytest.TestReport) -> str:
    if hasattr(report, "wasxfail"):
        return "xfailed" if report.skipped else "xpassed"
    if report.failed:
        return "failed" if report.when == "call" else "error"
    return report.outcome


def _message(report: pytest.TestReport) -> str:
    reason = getattr(report, "wasxfail", "")
    if reason:
        return str(reason)
    longrepr: Any = report.longrepr
    if longrepr is None:
        return ""
    if isinstance(longrepr, tuple):  # a skip: (path, line, reason)
        return str(longrepr[2])
    crash = getattr(longrepr, "reprcrash", None)
    if crash is not None:  # an exception: its own first line, whatever ``--tb`` shows
        return _lines(str(crash.message))[0]
    return _lines(str(longrepr))[-1]  # e.g. "[XPASS(strict)] reason"


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()] or [""]


class _Probe:
    def __init__(self, report: Path | None, selection: list[str] | None) -> None:
        self.report = report
        self.selection = selection
        self.collected: list[str] = []
        self.collection_errors: list[CollectionErrorRecord] = []
        self.outcomes: dict[str, TestOutcomeRecord] = {}

    def pytest_collection_modifyitems(
        self, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        if self.selection is None:
            return
        wanted = self.selection
        kept = [item for item in items if _selected(item.nodeid, wanted)]
        dropped = [item for item in items if not _selected(item.nodeid, wanted)]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
        items[:] = kept

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.collected = [item.nodeid for item in session.items]
        self._progress(f"{len(self.collected)}\n", "w")

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            text = report.longreprtext.strip() or "collection failed"
            self.collection_errors.append({"node_id": report.nodeid, "message": text})

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "teardown":
            self._progress(".", "a")
        outcome = _outcome(report)
        previous = self.outcomes.get(report.nodeid)
        if previous is None or SEVERITY.index(outcome) < SEVERITY.index(previous["outcome"]):
            self.outcomes[report.nodeid] = {
                "node_id": report.nodeid,
                "outcome": outcome,
                "message": _message(report),
            }

    def _progress(self, text: str, mode: str) -> None:
        """How far the run is, for a person waiting: the tests collected on the first line,
        then one dot per test done (``progress_of``)."""
        if self.report is not None:
            with progress_path(self.report).open(mode, encoding="utf-8") as progress:
                progress.write(text)

    def pytest_sessionfinish(self) -> None:
        if self.report is None:
            return
        document: ProbeReport = {
            # under xdist the controller collects nothing itself: its tests are those reported
            "collected": list(dict.fromkeys([*self.collected, *self.outcomes])),
            "errors": self.collection_errors,
            "outcomes": list(self.outcomes.values()),
        }
        partial = self.report.with_name(self.report.name + ".partial")
        partial.write_text(json.dumps(document), encoding="utf-8")
        os.replace(partial, self.report)


def _selected(node_id: str, wanted: Iterable[str]) -> bool:
    return any(is_within(node_id, container) for container in wanted)
