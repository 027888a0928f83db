"""What every run does first, before it reads or writes a tree: finish or undo a write a killed
run left half-done, and remove the working copies and git worktrees of runs that died."""

from __future__ import annotations

from collections.abc import Callable

from shimkit.analysis.parse_memo import parsing_once
from shimkit.application.ports import Reporter
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


def run_session(workspace: Workspace, reporter: Reporter, use_case: Callable[[], int]) -> int:
    """Run one use case on ``workspace`` after recovering from any interrupted run. Within the
    run, a file read again unchanged is not parsed again (``parsing_once``)."""
    recover_interrupted(workspace, reporter)
    with parsing_once():
        return use_case()
