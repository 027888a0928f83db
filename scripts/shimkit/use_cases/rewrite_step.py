"""Steps 2-4 (and ``retire_shims``): plan every file change of a step, then show or apply it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from shimkit.analysis import SourceFile, resolve_uses
from shimkit.analysis.tree_analysis import Analysis
from shimkit.application.history import changelog_change
from shimkit.application.options import RunOptions
from shimkit.application.plan_doc import (
    check_plan_doc,
    plan_doc_change,
    require_clean_but_status,
)
from shimkit.application.ports import Reporter
from shimkit.application.preflight import analyse_step
from shimkit.application.run import Run
from shimkit.application.step_commits import (
    RETIRE,
    AppliedStep,
    commit_step,
    moved_paths,
    report_left_out,
)
from shimkit.application.untracked import warn_untracked_importers
from shimkit.application.workspace import Workspace, existing_config
from shimkit.apply import apply_changes, repo_status
from shimkit.apply.git_steps import require_committer, short
from shimkit.domain.errors import KitError
from shimkit.domain.model import ChangeKind, ChangeSet, FileChange, Moves, Reference, ShimLayer
from shimkit.domain.phases import REWRITE, timed
from shimkit.domain.steps import StepSpec
from shimkit.planning.contracts import contracts_change
from shimkit.planning.decisions import shim_tests_to_decide
from shimkit.planning.moves import compat_notice, derive_moves, kept_shim_exports
from shimkit.rewrite import (
    FileRewrite,
    FileTask,
    RewriteError,
    compare_uses,
    normalize_shim,
    reexports_on_access,
    remove_reexports,
    repointing_problems,
    start_rewrites,
)


class FileNotRewritten(KitError):
    """A file whose references a step cannot rewrite: the reason, and the file."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(reason)
        self.path = path


@dataclass(frozen=True)
class StepOutcome:
    changes: ChangeSet
    moves: Moves
    removed: tuple[str, ...]
    decisions: tuple[Reference, ...]  # tests about a retired shim itself: left for a person


@timed(REWRITE)
def plan_step(
    run: Run, analysis: Analysis, step: StepSpec, moves: Moves | None = None
) -> StepOutcome:
    """Compute every change of a step without touching the tree (after its preflight); with
    ``moves`` already derived (``retirement.plan_retirement``), by those.

    Raises ``FileNotRewritten`` for a file whose references cannot be rewritten."""
    workspace, reporter = run.workspace, run.reporter
    if moves is None:
        moves = derive_moves(analysis, step)
    exports = kept_shim_exports(analysis, step, moves)
    retired = [shim for m in step.deleted if (shim := analysis.layer(m)) is not None]
    retired_paths = {shim.path for shim in retired}
    mixed = [shim for m in sorted(step.mixed) if (shim := analysis.layer(m)) is not None]
    kept = {shim.path: shim.module for m in exports if (shim := analysis.shim(m)) is not None}
    moved = moves.old_modules()
    references = [r for r in analysis.inventory.references if r.shim in moved]
    # a test about a mixed module's own code (a warning filter naming it) is no decision: only
    # one about a name it stops re-exporting is
    moving = {m.module: {r.name for r in m.reexports} for m in mixed}
    decisions = tuple(
        r
        for r in references
        if r.exercises_shim and (r.shim not in moving or moving[r.shim] & set(r.names))
    )
    # a mixed module is rewritten like any importer (it may import a re-export of another one
    # retired in the same run); its own re-export lines go afterwards, from the rewritten text
    untouchable = retired_paths | set(kept) | {r.path for r in decisions}
    paths = sorted({r.path for r in references} - untouchable)

    sources = {path: _file(analysis, path) for path in paths}
    tasks = [FileTask(s.path, s.text, s.module, s.is_package) for s in sources.values()]
    rewrites = start_rewrites(tasks, moves)  # in parallel: forks before progress is shown
    done: dict[str, FileRewrite] = {}
    label = f"step {step.number}" if step.number else step.name
    with reporter.progress(f"{label}: rewriting", len(paths)) as progress:
        for rewrite in rewrites:
            done[rewrite.path] = rewrite
            progress.advance(rewrite.path)
    for path in paths:
        for note in done[path].notes:
            reporter.warning(note)
    rewritten = {
        path: change for path in paths if (change := _checked(analysis, sources[path], done[path]))
    }
    for shim in mixed:
        change = _without_reexports(workspace, analysis, shim, moves, rewritten.get(shim.path))
        if change is not None:
            rewritten[shim.path] = change
    changes = list(rewritten.values())
    for path, module in sorted(kept.items()):
        source = _file(analysis, path)
        definitions = exports[module]
        text = normalize_shim(
            source.text,
            {name: definition.module for name, definition in definitions.items()},
            compat_notice(definitions),
            renames={n: d.name for n, d in definitions.items() if d.name != n},
        )
        if text != source.text:
            changes.append(FileChange(path, source.text, text, ChangeKind.SHIM, source.encoding))
    for path in sorted(retired_paths):
        source = _file(analysis, path)
        changes.append(FileChange(path, source.text, None, ChangeKind.DELETE, source.encoding))

    removed = tuple(shim.module for shim in retired)
    if changes:
        changes.extend(
            change
            for change in (
                changelog_change(workspace, step, moves, removed),
                contracts_change(
                    workspace.plan, existing_config(workspace.root), analysis, step, moves
                ),
            )
            if change is not None
        )
    return StepOutcome(ChangeSet(tuple(changes)), moves, removed, decisions)


def _without_reexports(
    workspace: Workspace,
    analysis: Analysis,
    shim: ShimLayer,
    moves: Moves,
    rewritten: FileChange | None,
) -> FileChange | None:
    """A mixed module whose re-exports retire: their lines go, unless the plan calls it public
    API (they stay, or with ``warn_on_reexports`` are provided on access with a warning). Taken
    from ``rewritten`` when the module's own imports were rewritten first; the change returned
    holds both.

    Raises ``FileNotRewritten`` when a re-export is not a plain top-level import."""
    module, path = shim.module, shim.path
    plan = workspace.plan
    moved = {
        name: (target, moves.new_name(old, name))
        for (old, name), target in moves.names.items()
        if old == module
    }
    if module in plan.public_api and not plan.warn_on_reexports:
        return rewritten
    source = _file(analysis, path)
    start = source.text if rewritten is None or rewritten.new_text is None else rewritten.new_text
    try:
        if module in plan.public_api:
            text = reexports_on_access(start, path, module, moved)
        else:
            text = remove_reexports(start, path, moved)
    except RewriteError as error:
        raise FileNotRewritten(path, str(error)) from error
    if text == source.text:
        return None
    return FileChange(path, source.text, text, ChangeKind.REEXPORTS, source.encoding)


def _file(analysis: Analysis, path: str) -> SourceFile:
    source = analysis.codebase.file(path)
    if source is None:
        raise KitError(f"{path} could not be read; see the inventory's unparsable files")
    return source


def _checked(analysis: Analysis, source: SourceFile, rewrite: FileRewrite) -> FileChange | None:
    """The change of one rewritten file, once the post-rewrite check has passed on it."""
    if rewrite.error:
        raise FileNotRewritten(source.path, rewrite.error)
    if not rewrite.changed:
        return None
    problems = [*rewrite.problems, *repointing_problems(rewrite.repointed, analysis.resolver)]
    if rewrite.uses_before is not None and rewrite.uses_after is not None:
        before = resolve_uses(rewrite.uses_before, analysis.resolver)
        problems += compare_uses(before, resolve_uses(rewrite.uses_after, analysis.resolver))
    if problems:
        raise FileNotRewritten(
            source.path,
            f"{source.path}: the rewrite would change what a name refers to: {problems[0]}",
        )
    return FileChange(
        source.path, source.text, rewrite.text, rewrite.kind, source.encoding, rewrite.engine
    )


def show_planned(
    outcome: StepOutcome, options: RunOptions, reporter: Reporter, why_nothing: str
) -> int | None:
    """Show what a planned change would do; the run's exit status when it ends there (nothing to
    do, ``--check``, a dry run), else None: the change is to be written."""
    for decision in shim_tests_to_decide(outcome.decisions):
        reporter.warning(decision)
    if outcome.changes.empty:
        reporter.info(f"nothing to do: {why_nothing}")
        return 0
    reporter.changes(outcome.changes)
    if options.check:
        reporter.info(f"{len(outcome.changes.changes)} file change(s) pending")
        return 1
    if not options.write:
        reporter.info("dry run: nothing was written (pass --write to apply)")
        return 0
    return None


def run_rewrite_step(
    run: Run, step: StepSpec, on_applied: Callable[[AppliedStep], None] | None = None
) -> int:
    """Show, check or write one step (``analysis``: one already made of the tree as it is, with
    references to the step's moved modules)."""
    reporter, options = run.reporter, run.options
    reporter.heading(f"Step {step.number}: {step.title}" if step.number else step.title)
    run.workspace.check()
    run = run.on(check_plan_doc(run.workspace, reporter))
    workspace = run.workspace
    analysis, step = analyse_step(run, step)
    outcome = plan_step(run, analysis, step)
    # one status of the tree, before anything is written, for the warning and the refusal: a
    # second ``git status`` of a large tree costs a second and could only see the user's own
    # edits since (a file the run writes is checked again when written)
    state = repo_status(workspace.root)
    warn_untracked_importers(run, outcome.removed, state)
    stop = show_planned(outcome, options, reporter, "no file refers to the modules this step moves")
    if stop is not None:
        return stop
    applied = applied_step(workspace, step, outcome)
    require_clean_but_status(workspace, options.allow_dirty, applied.paths, state)
    write_step(run, applied)
    if on_applied is not None:
        on_applied(applied)
    return 0


def applied_step(workspace: Workspace, step: StepSpec, outcome: StepOutcome) -> AppliedStep:
    """What writing the step means: its changes, and the plan document marking it done."""
    applied = AppliedStep(
        str(step.number) if step.number else RETIRE,
        step.title,
        outcome.changes,
        outcome.removed,
        moved_paths(outcome.moves),
    )
    if not step.number:
        return applied
    return applied.with_change(plan_doc_change(workspace, (step.number,)))


def write_step(run: Run, applied: AppliedStep, verified: bool = False) -> None:
    """Write a step's change in one all-or-nothing write (``verified``: it passed verification
    on a working copy first); with ``--commit``, commit it."""
    workspace, reporter, options = run.workspace, run.reporter, run.options
    if options.commit:
        require_committer(workspace.root)
    # a working copy (it has an origin) is thrown away whole by a crash: no flush to disk
    apply_changes(workspace.root, applied.changes, verified, durable=workspace.origin is None)
    reporter.info(f"wrote {len(applied.changes.changes)} file change(s)")
    if options.commit:
        sha, left_out = commit_step(workspace, applied)
        reporter.info(f"committed {short(sha)} (Shim-Step: {applied.step})")
        report_left_out(left_out, reporter)
