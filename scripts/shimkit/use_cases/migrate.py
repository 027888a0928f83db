"""Whole runs: the five steps in order, and retiring an arbitrary set of shims.

Both carry out their change on a working copy, verify it there against a baseline taken there,
and only then write the user's tree, in one all-or-nothing change: a failure anywhere (or an
interruption before the write) leaves the tree as it was. With ``--commit`` the verified result
is carried over step by step instead, each step's change (recorded as it was written on the
copy) a commit of its own; the commits add up to exactly the one-write result.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from shimkit.analysis.tree_analysis import Analysis
from shimkit.application.history import was_removed
from shimkit.application.moves import defines_code, is_mixed
from shimkit.application.options import ImportOptions, RunOptions
from shimkit.application.plan_doc import (
    check_plan_doc,
    plan_doc_change,
    require_clean_but_status,
)
from shimkit.application.ports import Reporter
from shimkit.application.preflight import analyse_step, preflight, validate_plan
from shimkit.application.retirement import (
    Blocker,
    LeftLayer,
    Retirement,
    describe,
    plan_retirement,
)
from shimkit.application.step_commits import AppliedStep, commit_step, report_left_out
from shimkit.application.untracked import warn_untracked_importers
from shimkit.application.working_copy import working_copy
from shimkit.application.workspace import Workspace, analyse
from shimkit.apply import apply_changes, repo_status
from shimkit.apply.git_steps import require_committer, short
from shimkit.apply.state_file import read_json, state_path, write_json
from shimkit.apply.tree_diff import tree_changes
from shimkit.domain.errors import KitError
from shimkit.domain.model import ChangeSet
from shimkit.domain.phases import running_clock
from shimkit.domain.plan import Plan
from shimkit.domain.steps import (
    StepSpec,
    consolidate_step,
    remove_deprecated_step,
    retire_step,
    update_imports_step,
)
from shimkit.use_cases.inventory import TITLE as INVENTORY_TITLE
from shimkit.use_cases.inventory import record_baseline, run_inventory
from shimkit.use_cases.rewrite_step import (
    FileNotRewritten,
    StepOutcome,
    applied_step,
    plan_step,
    run_rewrite_step,
    show_planned,
    write_step,
)
from shimkit.use_cases.verify import TITLE as VERIFY_TITLE
from shimkit.use_cases.verify import (
    BeforeChange,
    Scope,
    report,
    report_progress,
    run_verify,
    verify,
)


def _all_steps(
    workspace: Workspace,
    reporter: Reporter,
    applied: list[AppliedStep],
    strict: bool,
    imports: ImportOptions | None,
) -> int:
    """Steps 1-5 in order on a tree the run owns; stops at the first that fails or refuses.
    ``applied`` receives each step's change as it is written."""
    writing = RunOptions(write=True, allow_dirty=True, strict=strict)
    status = run_inventory(
        workspace,
        reporter,
        write_contracts=True,
        options=writing,
        on_applied=applied.append,
        imports=imports,
    )
    for step in (consolidate_step, remove_deprecated_step, update_imports_step):
        if status:
            return status
        spec = step(workspace.plan)
        status = run_rewrite_step(workspace, spec, writing, reporter, applied.append)
    return status or run_verify(workspace, reporter, imports)


def step_titles(plan: Plan) -> dict[int, str]:
    rewriting = (consolidate_step(plan), remove_deprecated_step(plan), update_imports_step(plan))
    return {1: INVENTORY_TITLE, **{s.number: s.title for s in rewriting}, 5: VERIFY_TITLE}


def migrate(
    workspace: Workspace,
    options: RunOptions,
    reporter: Reporter,
    imports: ImportOptions | None = None,
) -> int:
    """Steps 1-5, carried out on a working copy of the tree; written back only if verified: in
    one write, or (``commit``) one commit per step."""
    workspace.check()
    workspace = check_plan_doc(workspace, reporter)
    if options.write:
        require_clean_but_status(workspace, options.allow_dirty)
        if options.commit:
            require_committer(workspace.root)
    preflight(workspace, analyse(workspace), reporter)
    # the plan document is the user's: its status names the user's commits, set when written
    without_doc = replace(workspace, plan=replace(workspace.plan, plan_doc=None))
    with working_copy(without_doc) as copy:
        reporter.info(f"working on a temporary copy of the tree: {copy.root}")
        applied: list[AppliedStep] = []
        status = _all_steps(copy, reporter, applied, options.strict, imports)
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
            baseline_commit = _commit_each_step(workspace, applied, reporter) or head
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


def _commit_each_step(
    workspace: Workspace, applied: list[AppliedStep], reporter: Reporter
) -> str | None:
    """Carry each step's verified change over as a commit of its own, in order, the plan
    document marking the step done in the same commit; return step 1's commit (the tree its
    baseline describes), if it made one."""
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


def run_retire(
    workspace: Workspace,
    modules: tuple[str, ...],
    deprecated: bool,
    options: RunOptions,
    reporter: Reporter,
    imports: ImportOptions | None = None,
    json_path: Path | None = None,
) -> int:
    """Retire the named shims (and, with ``deprecated``, every shim that warns): plan, then carry
    the change out and verify it on a working copy, then write it.

    Every layer that can go goes; each one that cannot stays, named with the reason in a table
    (and in ``json_path``, with what was retired), and the run then exits 1 (0 only when every
    layer asked for was retired)."""
    workspace.check()
    step = _retire_spec(workspace, modules, deprecated, reporter)
    if step is None:
        if json_path is not None:
            write_json(json_path, _retire_result((), (), (), (), 0))
        return 0
    requested = tuple(step.retire)
    analysis, step = analyse_step(workspace, step, reporter, plan_checked=False)
    retirement, outcome = what_can_go(workspace, analysis, step, requested, reporter)
    status = _retire(workspace, analysis, retirement, outcome, options, reporter, imports)
    exit_status = 1 if retirement.left else status
    if json_path is not None:
        can_go = tuple(retirement.step.retire)
        done = can_go if options.write and status == 0 else ()
        write_json(json_path, _retire_result(requested, can_go, done, retirement.left, exit_status))
    if retirement.left:
        reporter.table(
            "Layers left in place (asked for, not retired)",
            ("layer", "name", "why it stays"),
            [describe(left) for left in retirement.left],
        )
        reporter.info(
            f"{len(retirement.left)} of the {len(requested)} layer(s) asked for stay: "
            + ", ".join(left.module for left in retirement.left)
        )
        return 1
    return status


def _retire_result(
    requested: tuple[str, ...],
    can_go: tuple[str, ...],
    retired: tuple[str, ...],
    left: tuple[LeftLayer, ...],
    exit_status: int,
) -> dict[str, Any]:
    """What ``retire_shims.py --json`` writes: every layer asked for, those that can go, those
    retired (written), and every one that stays with the name that keeps it and why."""
    return {
        "requested": list(requested),
        "can_go": list(can_go),
        "retired": list(retired),
        "left": [
            dict(zip(("layer", "name", "reason"), describe(layer), strict=True)) for layer in left
        ],
        "exit": exit_status,
        "timing": clock.figures() if (clock := running_clock()) else {},
    }


def what_can_go(
    workspace: Workspace,
    analysis: Analysis,
    step: StepSpec,
    requested: tuple[str, ...],
    reporter: Reporter,
) -> tuple[Retirement, StepOutcome]:
    """The layers that can be retired and every change that retires them. A file whose
    references cannot be rewritten keeps the layers it refers to (with the rewrite's reason)."""
    known: dict[str, Blocker] = {}
    while True:
        retirement = plan_retirement(analysis, step, requested, known)
        try:
            outcome = plan_step(workspace, analysis, retirement.step, reporter, retirement.moves)
        except FileNotRewritten as error:
            retiring = set(retirement.step.retire)
            held = {r.shim for r in analysis.inventory.references if r.path == error.path}
            held |= {  # a mixed module whose re-export lines cannot be taken out
                m
                for m in retirement.step.mixed
                if (layer := analysis.layer(m)) is not None and layer.path == error.path
            }
            if not held & retiring:
                raise
            known.update({module: Blocker(module, "", str(error)) for module in held & retiring})
            continue
        return retirement, outcome


def _retire(
    workspace: Workspace,
    analysis: Analysis,
    retirement: Retirement,
    outcome: StepOutcome,
    options: RunOptions,
    reporter: Reporter,
    imports: ImportOptions | None,
) -> int:
    """Show, check or carry out (verified on a working copy) the retirement of what can go."""
    if not retirement.step.retire:
        reporter.info("nothing retired: no layer asked for can go (see the table below)")
        return 1
    warn_untracked_importers(workspace, outcome.removed, reporter)
    stop = show_planned(outcome, options, reporter, "no file refers to the modules to retire")
    if stop is not None:
        return stop
    require_clean_but_status(
        workspace, options.allow_dirty, [c.path for c in outcome.changes.changes]
    )
    if options.commit:
        require_committer(workspace.root)
    if not _verified_on_a_copy(workspace, analysis, retirement.step, outcome, reporter, imports):
        reporter.info("verification FAILED: your tree was not changed")
        return 1
    applied = applied_step(workspace, retirement.step, outcome)
    write_step(workspace, applied, options, reporter, verified=True)
    what = [*outcome.removed] + [f"the re-exports of {m}" for m in sorted(retirement.step.mixed)]
    reporter.info(f"retired {', '.join(what)}: {len(outcome.changes.changes)} file(s)")
    _plan_progress(workspace, analysis, reporter)
    return 0


def _retire_spec(
    workspace: Workspace, modules: tuple[str, ...], deprecated: bool, reporter: Reporter
) -> StepSpec | None:
    """The retire step for what was asked; None when everything asked is already gone."""
    analysis = analyse(workspace, extra_shims=modules, watched=modules)
    named = [m for m in modules if analysis.codebase.has_module(m) and defines_code(analysis, m)]
    if named:
        raise KitError(f"{named[0]} is not a re-export layer: it defines code of its own")
    if deprecated:
        warning = tuple(s.module for s in analysis.inventory.shims if s.warns)
        modules = tuple(dict.fromkeys((*modules, *warning)))
    present = tuple(m for m in modules if analysis.codebase.has_module(m))
    unknown = [m for m in modules if m not in present and not was_removed(workspace, m)]
    if unknown:
        raise KitError(
            f"no module {unknown[0]} under {workspace.src}/ (nor a record of its removal "
            "in CHANGELOG.md)"
        )
    if not present:
        reporter.info("nothing to do: " + (", ".join(modules) or "no shim warns on import"))
        return None
    overlap = set(present) & set(workspace.plan.keep)
    if overlap:
        raise KitError(f"the plan keeps {', '.join(sorted(overlap))}; it cannot be retired")
    mixed = frozenset(m for m in present if is_mixed(analysis, m))
    return retire_step(present, workspace.plan.keep, mixed)


def _verified_on_a_copy(
    workspace: Workspace,
    analysis: Analysis,
    step: StepSpec,
    outcome: StepOutcome,
    reporter: Reporter,
    imports: ImportOptions | None,
) -> bool:
    """Take the baseline on a copy of the tree (``analysis`` is of the same files), apply the
    change there and verify it. The baseline imports nothing: the verification imports the
    modules the change can affect, and only those that fail or warn again with the change
    undone on the copy. The copy and its baseline end with this run."""
    reporter.heading("Verify (on a working copy; your tree is written only if this passes)")
    with working_copy(workspace) as copy:
        baseline = record_baseline(
            copy, analysis, reporter, imports=imports, import_modules=False
        ).inventory
        apply_changes(copy.root, outcome.changes)

        @contextmanager
        def restored() -> Iterator[None]:
            apply_changes(copy.root, outcome.changes.undone())
            try:
                yield
            finally:
                apply_changes(copy.root, outcome.changes)

        scope = Scope(
            retired=frozenset(step.deleted),
            retired_names=frozenset(
                (module, name) for module, name in outcome.moves.names if module in step.mixed
            ),
            kept=frozenset(m for m in workspace.plan.keep if analysis.codebase.has_module(m)),
            contracts_required=False,
            before=BeforeChange(analysis, restored),
        )
        result = verify(copy, reporter, scope, baseline, imports)
    report(result, reporter)
    return result.ok


def _plan_progress(workspace: Workspace, analysis: Analysis, reporter: Reporter) -> None:
    """The plan's other pending work, as information (when the plan describes this tree, as
    ``analysis`` of it before the change tells)."""
    try:
        validate_plan(workspace, analysis)
    except KitError:
        return
    report_progress(workspace, reporter)
