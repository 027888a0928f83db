"""Retiring an arbitrary set of shims (``retire_shims.py``): what can go goes, each layer that
cannot stays with the reason.

The change is carried out on a working copy and verified there against a baseline taken there,
and only then written to the user's tree, in one all-or-nothing change: a failure anywhere (or an
interruption before the write) leaves the tree as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from shimkit.analysis.codebase import Codebase
from shimkit.analysis.tree_analysis import Analysis
from shimkit.application.history import was_removed
from shimkit.application.plan_doc import (
    require_clean_but_status,
)
from shimkit.application.preflight import analyse_step, validate_plan
from shimkit.application.run import Run
from shimkit.application.untracked import warn_untracked_importers
from shimkit.application.working_copy import working_copy, working_copy_ahead
from shimkit.application.workspace import Workspace, analyse
from shimkit.apply import GitState, apply_changes, repo_status
from shimkit.apply.git_steps import require_committer
from shimkit.apply.state_file import write_json
from shimkit.domain.errors import KitError
from shimkit.domain.phases import running_clock
from shimkit.domain.steps import (
    StepSpec,
    retire_step,
)
from shimkit.planning.moves import defines_code, is_mixed
from shimkit.planning.retirement import (
    Blocker,
    LeftLayer,
    Retirement,
    describe,
    plan_retirement,
)
from shimkit.use_cases.inventory import record_baseline_importing_nothing
from shimkit.use_cases.rewrite_step import (
    FileNotRewritten,
    StepOutcome,
    applied_step,
    plan_step,
    show_planned,
    write_step,
)
from shimkit.use_cases.verify import (
    BeforeChange,
    Scope,
    Verification,
    report,
    report_progress,
    verify,
)


def run_retire(
    run: Run, modules: tuple[str, ...], deprecated: bool, json_path: Path | None = None
) -> int:
    """Retire the named shims (and, with ``deprecated``, every shim that warns): plan, then carry
    the change out and verify it on a working copy, then write it.

    Every layer that can go goes; each one that cannot stays, named with the reason in a table
    (and in ``json_path``, with what was retired), and the run then exits 1 (0 only when every
    layer asked for was retired)."""
    workspace, options = run.workspace, run.options
    workspace.check()
    with ExitStack() as held:
        # the copy a write is verified on (and the tree's status) are made meanwhile, while the
        # analysis leaves a core idle
        copy = (
            held.enter_context(working_copy_ahead(workspace, lambda: repo_status(workspace.root)))
            if options.write and not options.check
            else None
        )
        return _run_retire(run, modules, deprecated, json_path, copy)


def _run_retire(
    run: Run,
    modules: tuple[str, ...],
    deprecated: bool,
    json_path: Path | None,
    copy: Callable[[], tuple[Workspace, GitState]] | None,
) -> int:
    reporter, options = run.reporter, run.options
    asked = _retire_spec(run, modules, deprecated)
    if asked is None:
        if json_path is not None:
            write_json(json_path, _retire_result((), (), (), (), 0))
        return 0
    step, scanned = asked
    requested = tuple(step.retire)
    analysis, step = analyse_step(run, step, plan_checked=False, scanned=scanned)
    retirement, outcome = what_can_go(run, analysis, step, requested)
    status, pre_existing = _retire(run, analysis, retirement, outcome, copy)
    exit_status = 1 if retirement.left else status
    if json_path is not None:
        can_go = tuple(retirement.step.retire)
        done = can_go if options.write and status == 0 else ()
        write_json(
            json_path,
            _retire_result(requested, can_go, done, retirement.left, exit_status, pre_existing),
        )
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
    pre_existing: Sequence[tuple[str, str, str]] = (),
) -> dict[str, Any]:
    """What ``retire_shims.py --json`` writes: every layer asked for, those that can go, those
    retired (written), every one that stays with the name that keeps it and why, and every
    module that failed as it did before the change (the output summarises them when many)."""
    return {
        "requested": list(requested),
        "can_go": list(can_go),
        "retired": list(retired),
        "left": [
            dict(zip(("layer", "name", "reason"), describe(layer), strict=True)) for layer in left
        ],
        "exit": exit_status,
        "pre_existing": [
            dict(zip(("module", "why", "failure"), failure, strict=True))
            for failure in pre_existing
        ],
        "timing": clock.figures() if (clock := running_clock()) else {},
    }


def what_can_go(
    run: Run, analysis: Analysis, step: StepSpec, requested: tuple[str, ...]
) -> tuple[Retirement, StepOutcome]:
    """The layers that can be retired and every change that retires them. A file whose
    references cannot be rewritten keeps the layers it refers to (with the rewrite's reason)."""
    known: dict[str, Blocker] = {}
    while True:
        retirement = plan_retirement(analysis, step, requested, known)
        try:
            outcome = plan_step(run, analysis, retirement.step, retirement.moves)
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
    run: Run,
    analysis: Analysis,
    retirement: Retirement,
    outcome: StepOutcome,
    copy: Callable[[], tuple[Workspace, GitState]] | None,
) -> tuple[int, list[tuple[str, str, str]]]:
    """Show, check or carry out (verified on a working copy: ``copy`` gives one begun ahead, with
    the tree's status) the retirement of what can go; returns the exit status, and the failures
    the verification found there before the change (``Verification.pre_existing``)."""
    workspace, reporter, options = run.workspace, run.reporter, run.options
    if not retirement.step.retire:
        reporter.info("nothing retired: no layer asked for can go (see the table below)")
        return 1, []
    # one status of the tree, before anything is written, for the warning and the refusal: a
    # second ``git status`` of a large tree costs a second and could only see the user's own
    # edits since (a file the run writes is checked again when written); a write takes it ahead,
    # beside its working copy
    state = copy()[1] if copy is not None else repo_status(workspace.root)
    warn_untracked_importers(run, outcome.removed, state)
    stop = show_planned(outcome, options, reporter, "no file refers to the modules to retire")
    if stop is not None:
        return stop, []
    require_clean_but_status(
        workspace, options.allow_dirty, [c.path for c in outcome.changes.changes], state
    )
    if options.commit:
        require_committer(workspace.root)
    verification = _verified_on_a_copy(run, analysis, retirement.step, outcome, copy)
    if not verification.ok:
        reporter.info("verification FAILED: your tree was not changed")
        return 1, verification.pre_existing
    applied = applied_step(workspace, retirement.step, outcome)
    write_step(run, applied, verified=True)
    what = [*outcome.removed] + [f"the re-exports of {m}" for m in sorted(retirement.step.mixed)]
    reporter.info(f"retired {', '.join(what)}: {len(outcome.changes.changes)} file(s)")
    _plan_progress(run, analysis)
    return 0, verification.pre_existing


def _retire_spec(
    run: Run, modules: tuple[str, ...], deprecated: bool
) -> tuple[StepSpec, Codebase] | None:
    """The retire step for what was asked, and the tree as scanned to find it; None when
    everything asked is already gone."""
    workspace = run.workspace
    # the references found here are those the step's analysis needs (the same modules): one search
    analysis = analyse(workspace, extra_shims=modules, watched=modules, referenced_only=True)
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
        run.reporter.info("nothing to do: " + (", ".join(modules) or "no shim warns on import"))
        return None
    overlap = set(present) & set(workspace.plan.keep)
    if overlap:
        raise KitError(f"the plan keeps {', '.join(sorted(overlap))}; it cannot be retired")
    mixed = frozenset(m for m in present if is_mixed(analysis, m))
    return retire_step(present, workspace.plan.keep, mixed), analysis.codebase


def _verified_on_a_copy(
    run: Run,
    analysis: Analysis,
    step: StepSpec,
    outcome: StepOutcome,
    ahead: Callable[[], tuple[Workspace, GitState]] | None,
) -> Verification:
    """Take the baseline on a copy of the tree (``analysis`` is of the same files), apply the
    change there and verify it. The baseline imports nothing: the verification imports the
    modules the change can affect, and only those that fail or warn again with the change
    undone on the copy. The copy and its baseline end with this run."""
    workspace, reporter = run.workspace, run.reporter
    reporter.heading("Verify (on a working copy; your tree is written only if this passes)")
    with nullcontext(ahead()[0]) if ahead is not None else working_copy(workspace) as copy:
        baseline = record_baseline_importing_nothing(copy, analysis).inventory
        apply_changes(copy.root, outcome.changes, durable=False)

        @contextmanager
        def restored() -> Iterator[None]:
            apply_changes(copy.root, outcome.changes.undone(), durable=False)
            try:
                yield
            finally:
                apply_changes(copy.root, outcome.changes, durable=False)

        scope = Scope(
            retired=frozenset(step.deleted),
            retired_names=frozenset(
                (module, name) for module, name in outcome.moves.names if module in step.mixed
            ),
            kept=frozenset(m for m in workspace.plan.keep if analysis.codebase.has_module(m)),
            contracts_required=False,
            before=BeforeChange(analysis, restored),
        )
        result = verify(run.on(copy), scope, baseline)
    report(result, reporter)
    return result


def _plan_progress(run: Run, analysis: Analysis) -> None:
    """The plan's other pending work, as information (when the plan describes this tree, as
    ``analysis`` of it before the change tells)."""
    try:
        validate_plan(run.workspace, analysis)
    except KitError:
        return
    report_progress(run)
