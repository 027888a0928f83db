"""What every run checks before it does any work: the plan fits the tree, and nothing that
cannot be parsed hides a reference the run must see. Cheap and static, so a run that must refuse
refuses in its first second, never after minutes of import checks."""

from __future__ import annotations

from dataclasses import replace

from shimkit.analysis.codebase import Codebase
from shimkit.analysis.tree_analysis import Analysis
from shimkit.application.history import was_removed
from shimkit.application.ports import Reporter
from shimkit.application.run import Run
from shimkit.application.workspace import Workspace, analyse, reanalyse, require_parsable
from shimkit.domain import shortcuts
from shimkit.domain.errors import KitError
from shimkit.domain.layers import layers_problem
from shimkit.domain.steps import StepSpec


def validate_plan(workspace: Workspace, analysis: Analysis) -> None:
    """Every module the plan names exists, or (a shim it retires) was removed by an earlier run;
    otherwise refuse, naming the plan entry."""
    plan = workspace.plan
    has = analysis.codebase.has_module
    retired = (
        [("consolidate", m) for m in plan.consolidate]
        + [("deprecated", m) for m in plan.deprecated]
        + [("retire", m) for m in plan.retire]
    )
    for entry, module in retired:
        if not has(module) and not was_removed(workspace, module):
            raise KitError(
                f"the plan's {entry} entry {module} is not a module under {workspace.src}/ "
                "(nor recorded as removed in CHANGELOG.md): fix scripts/consolidation_plan.py"
            )
    kept = [("keep", m) for m in plan.keep] + [
        (f"consolidate target of {old}", new) for old, new in plan.consolidate.items()
    ]
    for entry, module in kept:
        if not has(module):
            raise KitError(
                f"the plan's {entry} {module} is not a module under {workspace.src}/: "
                "fix scripts/consolidation_plan.py"
            )
    packages = {module.split(".")[0] for module in analysis.codebase.modules}
    problem = layers_problem(plan.layers, packages)
    if problem is not None:
        raise KitError(f"{problem}: fix scripts/consolidation_plan.py")


def report_skipped(analysis: Analysis, reporter: Reporter) -> None:
    for failure in analysis.inventory.skipped_files:
        reporter.warning(
            f"skipped {failure.path}:{failure.line}: does not parse ({failure.message}); "
            "it cannot name what this run moves"
        )


def preflight(
    run: Run, analysis: Analysis, *, plan_checked: bool = True, quiet: bool = False
) -> None:
    """Refuse a run that cannot be carried out (exit 2), and list what it skips."""
    if plan_checked:
        validate_plan(run.workspace, analysis)
    require_parsable(analysis)
    if not quiet:
        report_skipped(analysis, run.reporter)


def whole_packages(analysis: Analysis, step: StepSpec) -> StepSpec:
    """A retired shim that is a package with submodules is retired whole: every submodule (a
    facade's shim subpackages included) is retired with it, and their importers move too. Each
    must itself be a re-export layer: otherwise a plan step refuses (``derive_moves``) and
    ``retire_shims.py`` keeps the package whole (``retirement.plan_retirement``)."""
    retire = dict(step.retire)
    for module, destination in step.retire.items():
        if module in step.mixed:  # a package with code of its own stays, and so do its modules
            continue
        submodules = submodules_of(analysis, module)
        if not submodules:
            continue
        if destination is not None:
            raise KitError(
                f"{module} is a package with submodules ({', '.join(submodules[:3])}); "
                f"it cannot be merged into {destination}: retire it to the source of truth"
            )
        for submodule in submodules:
            retire.setdefault(submodule, None)
    return replace(step, retire=retire)


def submodules_of(analysis: Analysis, module: str) -> list[str]:
    source = analysis.codebase.module(module)
    if source is None or not source.is_package:
        return []
    return [m for m in analysis.codebase.modules if m.startswith(module + ".")]


def analyse_step(
    run: Run,
    step: StepSpec,
    *,
    plan_checked: bool = True,
    quiet: bool = False,
    scanned: Codebase | None = None,
) -> tuple[Analysis, StepSpec]:
    """The analysis a rewriting step works from, after its preflight; packages retired whole.
    It holds the references to the plan's shims and the modules the step moves, not to every
    other layer of the tree (no step reads those).
    ``scanned``: the tree as this run scanned it a moment ago, nothing written since (a scan
    of 30,000 files again, each one found unchanged, takes most of a second); with the
    shortcuts off, the tree is scanned again."""
    workspace = run.workspace
    moved = step.moved_modules
    analysis = (
        reanalyse(workspace, scanned, moved, moved, referenced_only=True)
        if scanned is not None and shortcuts.enabled()
        else analyse(workspace, extra_shims=moved, watched=moved, referenced_only=True)
    )
    whole = whole_packages(analysis, step)
    if whole != step:
        moved = whole.moved_modules
        analysis = reanalyse(workspace, analysis.codebase, moved, moved, referenced_only=True)
    preflight(run, analysis, plan_checked=plan_checked, quiet=quiet)
    return analysis, whole
