"""How far the plan has got: which of its rewriting steps would still change the tree.

Each step is planned exactly as its script would plan it (nothing is written): a step with
changes left is pending, and the plan says what it would do.
"""

from __future__ import annotations

from shimkit.application.preflight import analyse_step
from shimkit.application.run import Run
from shimkit.domain.errors import KitError
from shimkit.domain.model import ChangeKind
from shimkit.domain.steps import consolidate_step, remove_deprecated_step, update_imports_step
from shimkit.use_cases.rewrite_step import plan_step

PLAN_STEPS = (consolidate_step, remove_deprecated_step, update_imports_step)


def pending_steps(run: Run) -> list[tuple[int, str, str]]:
    """``(number, title, what it would change)`` for each rewriting step not carried out yet."""
    workspace = run.workspace
    pending: list[tuple[int, str, str]] = []
    for make in PLAN_STEPS:
        step = make(workspace.plan)
        if not (step.retire or step.redirect or step.normalize):
            continue  # it names no module: it moves no name and deletes nothing (no tree read)
        try:
            analysis, step = analyse_step(run, step, quiet=True)
            outcome = plan_step(run, analysis, step)
        except KitError as error:
            pending.append((step.number, step.title, f"cannot be planned here: {error}"))
            continue
        sources = [
            c.path
            for c in outcome.changes.changes
            if c.kind not in (ChangeKind.CHANGELOG, ChangeKind.CONTRACTS, ChangeKind.DELETE)
        ]
        if not outcome.removed and not sources:
            continue
        what = []
        if outcome.removed:
            what.append("would delete " + ", ".join(outcome.removed))
        if sources:
            what.append(f"would rewrite {len(sources)} file(s): " + ", ".join(sources[:4]))
        pending.append((step.number, step.title, "; ".join(what)))
    return pending
