"""What every run does first, before it reads or writes a tree: finish or undo a write a killed
run left half-done, and remove the working copies and git worktrees of runs that died."""

from __future__ import annotations

from collections.abc import Callable

from shimkit.application.ports import Reporter
from shimkit.application.run import Run
from shimkit.application.run_context import ports
from shimkit.application.workspace import Workspace
from shimkit.apply import recover


def recover_interrupted(workspace: Workspace, reporter: Reporter) -> None:
    outcome = recover(workspace.root)
    if outcome.describe():
        reporter.warning(outcome.describe())
    removed = ports().files.remove_orphaned_scratch()
    if removed:
        if workspace.root.is_dir():
            ports().git.prune_worktrees(workspace.root)  # worktrees checked out in those folders
        reporter.warning(f"removed {len(removed)} temporary folder(s) of runs that were killed")


def run_session(run: Run, use_case: Callable[[Run], int]) -> int:
    """Run one use case on the run's workspace after recovering from any interrupted run. Within
    the run, its ports are the ones reached and a file read again unchanged is not parsed again
    (``Run.active``)."""
    with run.active():
        recover_interrupted(run.workspace, run.reporter)
        return use_case(run)
