"""Step 1's check of the plan's preconditions, recorded in its inventory.

- the tests: the plan's test paths (or its test command) are run once; what fails is listed and
  recorded as the baseline, so step 5 names those failures pre-existing without running them
  again, and the run is kept for the tree's content (``test_baselines``);
- work in flight: every local and remote-tracking branch with commits not in HEAD that touch a
  file the plan will change (its shims and every importer found), from git alone;
- import patterns: the inventory itself.

An unmet precondition is a warning; ``--strict`` makes step 1 fail on it.
"""

from __future__ import annotations

from dataclasses import dataclass

from shimkit.analysis.tree_analysis import Analysis
from shimkit.application.ports import Reporter
from shimkit.application.run import Run
from shimkit.application.run_context import ports
from shimkit.application.run_progress import tests_heartbeat
from shimkit.application.test_baselines import RecordedRuns, plan_tests, suite_key
from shimkit.application.workspace import Workspace
from shimkit.apply import repo_status
from shimkit.domain.model import BranchWork, Precondition
from shimkit.verify import describe_command, run_tests

TESTS = "All existing tests pass"
IN_FLIGHT = "No work in flight on the files the plan changes"
PATTERNS = "Current import patterns known"
SHOWN = 5  # failures or branches named in a table cell


@dataclass(frozen=True)
class Checked:
    preconditions: tuple[Precondition, ...]
    test_failures: tuple[str, ...] = ()
    work_in_flight: tuple[BranchWork, ...] = ()

    @property
    def unmet(self) -> tuple[Precondition, ...]:
        return tuple(p for p in self.preconditions if not p.met)


def plan_files(workspace: Workspace, analysis: Analysis) -> set[str]:
    """The files the plan will change: its shims and every file that references one."""
    shims = set(workspace.plan.shims)
    files = {
        source.path for module in shims if (source := analysis.codebase.module(module)) is not None
    }
    files |= {r.path for r in analysis.inventory.references if r.shim in shims}
    return files


def _listing(items: list[str]) -> str:
    more = f" (+{len(items) - SHOWN} more)" if len(items) > SHOWN else ""
    return ", ".join(items[:SHOWN]) + more


def _tests(workspace: Workspace, reporter: Reporter) -> tuple[Precondition, tuple[str, ...]]:
    suite = plan_tests(workspace)
    if suite is None:
        wanted = ", ".join(workspace.plan.test_paths) or "none declared"
        return Precondition(TESTS, False, f"the plan's test paths ({wanted}) are not here"), ()
    what = describe_command(suite.command) if suite.command else ", ".join(suite.paths)
    reporter.info(f"step 1: running the plan's tests once ({what})")
    heartbeat = tests_heartbeat(reporter, "step 1: running the plan's tests")
    run = run_tests(
        workspace.root, workspace.src, suite.paths, command=suite.command, progress=heartbeat
    )
    # the baseline of the steps to come: a verification that needs it for this content reuses it
    RecordedRuns(workspace.repository).record(suite_key(workspace.root, workspace.src, suite), run)
    if run.run_failed:
        return Precondition(TESTS, False, f"the test run itself failed: {run.problem}"), ()
    if run.by_exit_code:
        met = run.exit_code == 0
        return Precondition(TESTS, met, f"{what}: exit status {run.exit_code}"), ()
    if run.no_tests:
        return Precondition(TESTS, False, "no tests collected"), ()
    failures = tuple(run.failures)
    if failures:
        details = (
            f"{len(failures)} failing, recorded as the baseline (step 5 counts them "
            f"pre-existing): {_listing(list(failures))}; {run.passed} passed"
        )
        return Precondition(TESTS, False, details), failures
    return Precondition(TESTS, True, f"{run.passed} passed ({what})"), ()


def _in_flight(
    workspace: Workspace, analysis: Analysis
) -> tuple[Precondition, tuple[BranchWork, ...]]:
    if not repo_status(workspace.repository).is_repo:
        return Precondition(IN_FLIGHT, False, "not a git repository: cannot tell"), ()
    files = plan_files(workspace, analysis)
    branches = ports().git.branches_in_flight(workspace.repository, files)
    if not branches:
        details = f"no other branch touches the {len(files)} files"
        return Precondition(IN_FLIGHT, True, details), ()
    named = _listing([f"{b.branch} ({b.commits} commit(s))" for b in branches])
    return Precondition(IN_FLIGHT, False, f"{len(branches)} branch(es): {named}"), branches


def check_preconditions(run: Run, analysis: Analysis) -> Checked:
    workspace, inventory = run.workspace, analysis.inventory
    tests, failures = _tests(workspace, run.reporter)
    in_flight, branches = _in_flight(workspace, analysis)
    files = {r.path for r in inventory.references}
    patterns = Precondition(
        PATTERNS,
        True,
        f"{len(inventory.shims)} re-export layer(s), {len(inventory.references)} usage site(s) "
        f"in {len(files)} file(s): the inventory above",
    )
    return Checked((tests, in_flight, patterns), failures, branches)


def report_preconditions(checked: Checked, reporter: Reporter) -> None:
    reporter.table(
        "Preconditions",
        ("precondition", "met", "details"),
        [(p.name, "yes" if p.met else "NO", p.details) for p in checked.preconditions],
    )
    if checked.work_in_flight:
        reporter.table(
            "Work in flight on the files the plan changes",
            ("branch", "commits not in HEAD", "files"),
            [(b.branch, str(b.commits), ", ".join(b.files)) for b in checked.work_in_flight],
        )
    for precondition in checked.unmet:
        reporter.warning(f"precondition not met: {precondition.name}: {precondition.details}")
