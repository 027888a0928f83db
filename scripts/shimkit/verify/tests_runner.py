"""Run pytest on a tree, and tell regressions from failures that were there at the baseline.

The tests run are pytest's on the plan's paths, or the project's own test command (the plan's
``test_command``, ``verify.test_command``): one that runs pytest is given the probe plugin and
read per test as pytest on paths is; any other gives its exit status only.

What pytest collected and how every test ended come from the kit's probe plugin
(``probe/shimkit_probe.py``), never from pytest's terminal output: a project's ``addopts``, ini
files, plugins and chatty conftests cannot change the verdicts. The output is kept only to show a
person pytest's last lines.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from shimkit.domain.phases import TESTS, timed
from shimkit.system.processes import child_env, combined_output, run_child, tail
from shimkit.system.scratch import scratch_dir
from shimkit.verify.probe import shimkit_probe as probe
from shimkit.verify.test_command import describe, runs_pytest
from shimkit.verify.worktree import temporary_worktree

__all__ = [
    "PRE_EXISTING",
    "REGRESSION",
    "BaselineComparison",
    "CollectionError",
    "TestOutcome",
    "TestRun",
    "classify_failures",
    "collect_node_ids",
    "compare_with_baseline",
    "run_tests",
    "run_tests_at",
    "verdicts_against",
]

PRE_EXISTING = "pre-existing"
REGRESSION = "regression"
NO_TESTS_COLLECTED = 5
_PROBE_DIR = Path(probe.__file__).parent
# (seconds elapsed, tests done, tests collected or None): how far a run is, for a person waiting
TestProgress = Callable[[float, int, "int | None"], None]
_PROBE_PLUGIN = probe.__name__.rpartition(".")[2]
# pytest's exit statuses that mean the run itself went wrong (1: tests failed, 5: none collected)
_BROKEN_RUN = {
    2: "pytest was interrupted",
    3: "pytest hit an internal error",
    4: "pytest refused its command line or configuration (usage error)",
}


@dataclass(frozen=True)
class TestOutcome:
    __test__ = False  # not a pytest test class

    node_id: str
    outcome: str  # worst of setup/call/teardown: one of shimkit_probe.SEVERITY
    message: str = ""

    @property
    def failing(self) -> bool:
        return self.outcome in probe.FAILING


@dataclass(frozen=True)
class CollectionError:
    node_id: str  # the file (or directory) that did not collect
    message: str  # the last lines of pytest's report of the error


@dataclass(frozen=True)
class TestRun:
    __test__ = False

    exit_code: int | None  # pytest's; None: it did not finish in time; 5 also when no path exists
    outcomes: tuple[TestOutcome, ...]
    output_tail: str  # pytest's last output lines
    missing_paths: tuple[str, ...] = ()
    collection_errors: tuple[CollectionError, ...] = ()
    node_ids: tuple[str, ...] = ()  # every test collected (after the project's own deselection)
    problem: str = ""  # why the run itself failed; "" when pytest ran to its end and reported
    # the project's own test command, not pytest: only its exit status says how it went
    by_exit_code: bool = False

    @property
    def run_failed(self) -> bool:
        """The run itself failed (timeout, interruption, internal or usage error, crash, tests
        that never ran): its outcomes are not the whole story."""
        return bool(self.problem)

    @property
    def tests_failed(self) -> bool:
        """Some test failed or errored, or some file did not collect."""
        return bool(self.failures)

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.run_failed and not self.failures

    @property
    def no_tests(self) -> bool:
        """Nothing ran: no path exists, or pytest collected nothing (the caller decides)."""
        if self.by_exit_code:
            return False  # a command that is not pytest means something else by status 5
        return self.exit_code == NO_TESTS_COLLECTED and not self.run_failed

    @property
    def failures(self) -> tuple[str, ...]:
        """Node ids of the failing tests, then of the files that did not collect."""
        failing = [outcome.node_id for outcome in self.outcomes if outcome.failing]
        return (*failing, *(error.node_id for error in self.collection_errors))

    @property
    def collected(self) -> int:
        return len(self.node_ids)

    @property
    def passed(self) -> int:
        return self.count("passed")

    def count(self, outcome: str) -> int:
        return sum(1 for o in self.outcomes if o.outcome == outcome)


@dataclass(frozen=True)
class BaselineComparison:
    verdicts: Mapping[str, str]  # failing node id (or file) -> PRE_EXISTING | REGRESSION
    baseline: TestRun | None = None  # the re-run on the baseline; None: nothing there to re-run

    @property
    def undecided(self) -> bool:
        """The re-run on the baseline itself failed: every failure was counted a regression."""
        return self.baseline is not None and self.baseline.run_failed


@timed(TESTS)
def run_tests(
    root: Path,
    src: str,
    paths: Sequence[str],
    *,
    command: Sequence[str] = (),
    timeout: float = 3600.0,
    progress: TestProgress | None = None,
) -> TestRun:
    """Run pytest on ``paths`` (files, directories or node ids) under ``root``, or the project's
    own ``command`` (run from ``root``; ``paths`` are then not used).

    Paths that do not exist are skipped and listed in ``missing_paths``; when none is left pytest
    is not started and the run reports exit status 5 (no tests collected). Past ``timeout`` pytest
    (or the command) and its child processes are killed. ``progress`` hears, about every second,
    the seconds elapsed, the tests done and how many there are (None: not known).
    """
    return _run(Path(root), src, paths, command, timeout=timeout, progress=progress)


@timed(TESTS)
def run_tests_at(
    root: Path,
    src: str,
    paths: Sequence[str],
    commit: str,
    *,
    command: Sequence[str] = (),
    timeout: float = 3600.0,
) -> TestRun:
    """``run_tests`` on ``commit`` (a temporary git worktree): how the same run went there."""
    with temporary_worktree(Path(root), commit) as tree:
        return _run(tree, src, paths, command, timeout=timeout)


def _run(
    root: Path,
    src: str,
    paths: Sequence[str],
    command: Sequence[str],
    *,
    timeout: float,
    progress: TestProgress | None = None,
) -> TestRun:
    if not command:
        return _pytest(
            root, src, paths, None, collect_only=False, timeout=timeout, progress=progress
        )
    if not runs_pytest(command):
        return _by_exit_code(root, src, command, timeout)
    return _pytest(
        root, src, (), None, collect_only=False, timeout=timeout, command=command,
        progress=progress,
    )  # fmt: skip


@timed(TESTS)
def collect_node_ids(
    root: Path, src: str, paths: Sequence[str], *, timeout: float = 3600.0
) -> tuple[str, ...]:
    """Node ids pytest collects from ``paths`` (existing ones only) under ``root``."""
    return _pytest(Path(root), src, paths, None, collect_only=True, timeout=timeout).node_ids


@timed(TESTS)
def compare_with_baseline(
    root: Path,
    src: str,
    failures: Sequence[str],
    baseline_commit: str,
    *,
    command: Sequence[str] = (),
    timeout: float = 3600.0,
) -> BaselineComparison:
    """Re-run the failing node ids on ``baseline_commit`` (a temporary git worktree): with pytest
    on their files, or with the project's pytest ``command`` restricted to them.

    A failure is pre-existing when it fails (or errors) there too, or its file does not collect
    there; a regression when it passes or is skipped there, or does not exist there. A file that
    does not collect now is pre-existing only if it did not collect there either.
    """
    if not failures:
        return BaselineComparison({})
    with temporary_worktree(Path(root), baseline_commit) as tree:
        if command:
            run = _pytest(
                tree, src, (), failures, collect_only=False, timeout=timeout, command=command
            )
            return verdicts_against(run, failures)
        files = [f for f in dict.fromkeys(map(_file_of, failures)) if (tree / f).exists()]
        if not files:
            return BaselineComparison(dict.fromkeys(failures, REGRESSION))
        tests = [node for node in failures if "::" in node]
        run = _pytest(tree, src, files, tests, collect_only=False, timeout=timeout)
    return verdicts_against(run, failures)


def verdicts_against(baseline: TestRun, failures: Sequence[str]) -> BaselineComparison:
    """Each of ``failures`` judged against a run at the baseline that ran (or tried) them: one
    that fails there too, or whose file does not collect there, is pre-existing."""
    verdicts = dict.fromkeys(failures, REGRESSION)
    if not baseline.run_failed:
        for node in failures:
            if any(probe.is_within(node, failing) for failing in baseline.failures):
                verdicts[node] = PRE_EXISTING
    return BaselineComparison(verdicts, baseline)


def classify_failures(
    root: Path, src: str, failures: Sequence[str], baseline_commit: str
) -> dict[str, str]:
    """Each failing node id -> "pre-existing" or "regression" (see ``compare_with_baseline``)."""
    return dict(compare_with_baseline(root, src, failures, baseline_commit).verdicts)


def _file_of(node_or_path: str) -> str:
    return node_or_path.split("::", 1)[0]


def _normalised(node_or_path: str) -> str:
    """A path as pytest spells it in node ids (``./tests/`` -> ``tests``)."""
    path, separator, rest = node_or_path.partition("::")
    return Path(path).as_posix() + separator + rest


def _pytest(
    root: Path,
    src: str,
    paths: Sequence[str],
    select: Sequence[str] | None,
    *,
    collect_only: bool,
    timeout: float,
    command: Sequence[str] = (),
    progress: TestProgress | None = None,
) -> TestRun:
    """pytest on the files of ``paths``, or the project's pytest ``command``; only the tests
    within ``select`` run, when given."""
    root = Path(os.path.realpath(root))
    exists = {path: (root / _file_of(path)).exists() for path in paths}
    present = [_normalised(path) for path in paths if exists[path]]
    missing = tuple(path for path in paths if not exists[path])
    if not present and not command:
        why = "no test paths exist: " + ", ".join(paths) if paths else "no test paths given"
        return TestRun(NO_TESTS_COLLECTED, (), why, missing)
    if select is None and any("::" in path for path in present):
        select = present  # pytest is given the files; the probe picks the tests out of them
    targets = list(dict.fromkeys(map(_file_of, present)))
    with scratch_dir("pytest") as scratch:
        report = Path(scratch) / "report.json"
        env = _probe_env(root / src, report, select, Path(scratch) / "select.json")
        argv = (
            _project_command(command, scratch, collect_only)
            if command
            else _command(root, targets, scratch, collect_only)
        )
        heartbeat = (
            None
            if progress is None
            else lambda elapsed: progress(elapsed, *probe.progress_of(report))
        )
        try:
            process = run_child(argv, root, env, timeout, heartbeat)
        except subprocess.TimeoutExpired as expired:
            problem = f"pytest did not finish within {timeout:g} s: it and its children were killed"
            output = combined_output(str(expired.output or ""), str(expired.stderr or ""))
            return TestRun(None, (), tail(output), missing, problem=problem)
        except OSError as error:
            return TestRun(None, (), "", missing, problem=f"cannot start {argv[0]}: {error}")
        return _finished(process, probe.read_report(report), missing, collect_only)


def _command(root: Path, targets: Sequence[str], scratch: Path, collect_only: bool) -> list[str]:
    return [
        sys.executable, "-m", "pytest", f"--rootdir={root}",
        *_kit_options(scratch, collect_only),
        "--", *targets,
    ]  # fmt: skip


def _by_exit_code(root: Path, src: str, command: Sequence[str], timeout: float) -> TestRun:
    """The project's command that is not pytest, run from ``root`` with ``src`` on
    ``PYTHONPATH``: its exit status is its verdict; its output is kept for a person only."""
    env = child_env([Path(root) / src])
    try:
        process = run_child(list(command), Path(root), env, timeout)
    except subprocess.TimeoutExpired as expired:
        output = combined_output(str(expired.output or ""), str(expired.stderr or ""))
        problem = (
            f"{describe(command)} did not finish within {timeout:g} s: "
            "it and its children were killed"
        )
        return TestRun(None, (), tail(output), problem=problem, by_exit_code=True)
    except OSError as error:
        problem = f"cannot start {describe(command)}: {error}"
        return TestRun(None, (), "", problem=problem, by_exit_code=True)
    code = process.returncode
    problem = f"{describe(command)} was killed by signal {-code}" if code < 0 else ""
    output = tail(combined_output(process.stdout, process.stderr))
    return TestRun(code, (), output, problem=problem, by_exit_code=True)


def _kit_options(scratch: Path, collect_only: bool) -> list[str]:
    return [
        "-p", _PROBE_PLUGIN,
        "-o", f"cache_dir={Path(scratch) / 'cache'}",  # pytest's cache stays out of the tree
        "--maxfail=0",  # the project's -x must not hide the failures after the first
        "--continue-on-collection-errors",  # a file that does not collect must not hide the rest
        *(["--collect-only"] if collect_only else []),
    ]  # fmt: skip


def _project_command(command: Sequence[str], scratch: Path, collect_only: bool) -> list[str]:
    """The project's pytest command with the kit's options after its own (so that they win over
    its ``-x``), before a ``--`` that ends its options."""
    argv = list(command)
    end = argv.index("--") if "--" in argv else len(argv)
    return [*argv[:end], *_kit_options(scratch, collect_only), *argv[end:]]


def _probe_env(
    src_dir: Path, report: Path, select: Sequence[str] | None, selection: Path
) -> dict[str, str]:
    """The child's environment: the probe importable and told where to report, and the tests to
    select (written to ``selection``) when there is a choice."""
    env = child_env([_PROBE_DIR, src_dir])
    env[probe.REPORT_ENV] = str(report)
    env["PYTHONUNBUFFERED"] = "1"  # a killed pytest's last lines are in its output
    env.pop(probe.SELECT_ENV, None)
    if select is not None:
        selection.write_text(json.dumps(list(select)), encoding="utf-8")
        env[probe.SELECT_ENV] = str(selection)
    return env


def _finished(
    process: subprocess.CompletedProcess[str],
    report: probe.ProbeReport | None,
    missing: tuple[str, ...],
    collect_only: bool,
) -> TestRun:
    output = tail(combined_output(process.stdout, process.stderr))
    code = process.returncode
    if report is None:
        problem = _broken_exit(code) or (
            f"pytest exited with status {code} before the kit's probe plugin wrote its report"
        )
        return TestRun(code, (), output, missing, problem=problem)
    outcomes = (TestOutcome(o["node_id"], o["outcome"], o["message"]) for o in report["outcomes"])
    errors = (CollectionError(e["node_id"], tail(e["message"], 12)) for e in report["errors"])
    run = TestRun(code, tuple(outcomes), output, missing, tuple(errors), tuple(report["collected"]))
    return replace(run, problem=_broken_exit(code) or _inconsistency(run, collect_only))


def _broken_exit(code: int) -> str:
    if code in _BROKEN_RUN:
        return f"{_BROKEN_RUN[code]} (exit status {code})"
    if code < 0:
        return f"pytest was killed by signal {-code}"
    if code not in (0, 1, NO_TESTS_COLLECTED):
        return f"pytest exited with status {code}"
    return ""


def _inconsistency(run: TestRun, collect_only: bool) -> str:
    """What makes a run pytest called finished untrustworthy."""
    if run.exit_code == 1 and not run.failures:
        return "pytest exited with status 1 but reported no failing test"
    reported = {outcome.node_id for outcome in run.outcomes}
    never_ran = [node for node in run.node_ids if node not in reported]
    if never_ran and not collect_only:
        return f"{len(never_ran)} collected tests never ran (the first: {never_ran[0]})"
    return ""
