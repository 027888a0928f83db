"""The whole migration: the five steps in order.

It carries out its change on a working copy, verifies it there against a baseline taken there,
and only then writes the user's tree, in one all-or-nothing change: a failure anywhere (or an
interruption before the write) leaves the tree as it was. With ``--commit`` the verified result
is carried over step by step instead, each step's change (recorded as it was written on the
copy) a commit of its own; the commits add up to exactly the one-write result.
"""

from __future__ import annotations

from dataclasses import replace

from shimkit.application.options import RunOptions
from shimkit.application.plan_doc import (
    check_plan_doc,
    plan_doc_change,
    require_clean_but_status,
)
from shimkit.application.preflight import preflight
from shimkit.application.run import Run
from shimkit.application.step_commits import AppliedStep, commit_step, report_left_out
from shimkit.application.working_copy import working_copy
from shimkit.application.workspace import Workspace
from shimkit.apply import apply_changes, repo_status
from shimkit.apply.git_steps import require_committer, short
from shimkit.apply.state_file import read_json, state_path, write_json
from shimkit.apply.tree_diff import tree_changes
from shimkit.domain.errors import KitError
from shimkit.domain.model import ChangeSet
from shimkit.domain.plan import Plan
from shimkit.domain.steps import (
    consolidate_step,
    remove_deprecated_step,
    update_imports_step,
)
from shimkit.use_cases.inventory import TITLE as INVENTORY_TITLE
from shimkit.use_cases.inventory import run_inventory
from shimkit.use_cases.rewrite_step import (
    run_rewrite_step,
)
from shimkit.use_cases.verify import TITLE as VERIFY_TITLE
from shimkit.use_cases.verify import (
    run_verify,
)


def _all_steps(run: Run, applied: list[AppliedStep]) -> int:
    """Steps 1-5 in order on a tree the run owns (``run``'s workspace, written); stops at the
    first that fails or refuses. ``applied`` receives each step's change as it is written."""
    status = run_inventory(run, write_contracts=True, on_applied=applied.append)
    for step in (consolidate_step, remove_deprecated_step, update_imports_step):
        if status:
            return status
        spec = step(run.workspace.plan)
        status = run_rewrite_step(run, spec, applied.append)
    return status or run_verify(run)


def step_titles(plan: Plan) -> dict[int, str]:
    rewriting = (consolidate_step(plan), remove_deprecated_step(plan), update_imports_step(plan))
    return {1: INVENTORY_TITLE, **{s.number: s.title for s in rewriting}, 5: VERIFY_TITLE}


def migrate(run: Run) -> int:
    """Steps 1-5, carried out on a working copy of the tree; written back only if verified: in
    one write, or (``commit``) one commit per step."""
    reporter, options = run.reporter, run.options
    run.workspace.check()
    run = run.on(check_plan_doc(run.workspace, reporter))
    workspace = run.workspace
    if options.write:
        require_clean_but_status(workspace, options.allow_dirty)
        if options.commit:
            require_committer(workspace.root)
    preflight(run, run.analysis())
    # the plan document is the user's: its status names the user's commits, set when written
    without_doc = replace(workspace, plan=replace(workspace.plan, plan_doc=None))
    with working_copy(without_doc) as copy:
        reporter.info(f"working on a temporary copy of the tree: {copy.root}")
        applied: list[AppliedStep] = []
        writing = RunOptions(write=True, allow_dirty=True, strict=options.strict)
        status = _all_steps(replace(run, workspace=copy, options=writing), applied)
        if status:
            reporter.info("the migration did not pass: your tree was not changed")
            return status
        touched = {path for step in applied for path in step.paths}
        changes = tree_changes(workspace.root, copy.root, touched)
        if options.check:
            return 1 if changes.changes else 0
        if not options.write:
            reporter.info("rehearsal finished, nothing written: pass --write to carry it out")
            return 0
        # the tree may have changed while the copy was verified, and only now is it known which
        # files the migration writes: an untracked one among them is uncommitted work
        require_clean_but_status(workspace, options.allow_dirty, [c.path for c in changes.changes])
        head = repo_status(workspace.root).head
        if options.commit:
            baseline_commit = _commit_each_step(run, applied) or head
            left = tree_changes(workspace.root, copy.root, touched)
            if left.changes:
                raise KitError(
                    "the step commits do not add up to the verified result: "
                    + ", ".join(c.path for c in left.changes[:5])
                )
        else:
            doc = plan_doc_change(workspace, tuple(step_titles(workspace.plan)))
            written = ChangeSet((*changes.changes, *([doc] if doc else ())))
            apply_changes(workspace.root, written, verified=True)
            baseline_commit = head
        _carry_baseline(copy, workspace, baseline_commit)
    if changes.changes:
        count = len(changes.changes)
        reporter.info(f"migration written: {count} file(s) changed in {workspace.root}")
    else:
        reporter.info(f"nothing to write: {workspace.root} is already what the migration makes it")
    return 0


def _commit_each_step(run: Run, applied: list[AppliedStep]) -> str | None:
    """Carry each step's verified change over as a commit of its own, in order, the plan
    document marking the step done in the same commit; return step 1's commit (the tree its
    baseline describes), if it made one."""
    workspace, reporter = run.workspace, run.reporter
    by_step = {step.step: step for step in applied}
    first: str | None = None
    for number, title in step_titles(workspace.plan).items():
        step = by_step.get(str(number), AppliedStep(str(number), title, ChangeSet(())))
        step = step.with_change(plan_doc_change(workspace, (number,)))
        if step.changes.empty:
            reporter.info(f"step {number}: nothing to commit")
            continue
        apply_changes(workspace.root, step.changes, verified=True)
        try:
            sha, left_out = commit_step(workspace, step)
        except KitError as error:
            raise KitError(
                f"step {number}: {error}; the steps before it are committed, its own change is "
                "written but not committed"
            ) from error
        reporter.info(
            f"step {number}: committed {short(sha)} ({len(step.paths) - len(left_out)} file(s))"
        )
        report_left_out(left_out, reporter)
        if number == 1:
            first = sha
    return first


def _carry_baseline(copy: Workspace, workspace: Workspace, commit: str | None) -> None:
    """Step 1's baseline, taken on the copy, for the user's tree: it names the user's commit
    whose tree it describes (the copy's own commit is gone with the copy)."""
    baseline = read_json(state_path(copy.root))
    if baseline is None:
        return
    baseline.update(commit=commit, root=str(workspace.root))
    write_json(state_path(workspace.root), baseline)
