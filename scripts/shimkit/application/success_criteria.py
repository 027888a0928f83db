"""The plan's overall success criteria, measured at the end of step 5 (and so of ``migrate.py``).

Each row says what the plan expects and what the tree shows, compared with step 1's baseline.
Measured, never asserted: the table informs, the verification decides the exit status.
"""

from __future__ import annotations

from collections.abc import Sequence

from shimkit.analysis.tree_analysis import Analysis
from shimkit.application.baseline_changes import changed_since_baseline
from shimkit.application.run import Run
from shimkit.application.run_context import ports
from shimkit.application.workspace import Workspace
from shimkit.domain.model import Inventory
from shimkit.planning.checks import CheckResult
from shimkit.planning.success_measures import (
    compat_documented,
    deprecated_removed,
    functionality,
    import_paths,
    line_count,
)
from shimkit.verify.typecheck import run_mypy

CriterionRow = tuple[str, str, str]  # (criterion, what the plan expects, what was measured)
SHOWN = 6


def reexport_lines(workspace: Workspace, baseline: Inventory) -> str:
    """Lines of the plan's re-export layers at the baseline, and now."""
    if baseline.commit is None:
        return "not measured: step 1 recorded no commit"
    shims = set(workspace.plan.shims)
    before = after = deleted = layers = 0
    for shim in baseline.shims:
        if shim.module not in shims:
            continue
        old = ports().git.file_at(workspace.root, baseline.commit, shim.path)
        if old is None:
            continue
        now = workspace.root / shim.path
        layers += 1
        before += line_count(old)
        if now.is_file():
            after += line_count(now.read_bytes())
        else:
            deleted += 1
    if not layers:
        return f"not measured: the baseline commit {baseline.commit[:10]} is not in this repository"
    return (
        f"{before - after} lines removed: {before} -> {after} in the plan's {layers} re-export "
        f"layer(s), {deleted} deleted"
    )


def type_checking(workspace: Workspace, baseline: Inventory) -> str:
    changed = changed_since_baseline(workspace, baseline)
    if changed is None:
        return "not measured: the files changed since step 1 are unknown"
    files = sorted(p for p in changed if p.endswith(".py") and (workspace.root / p).is_file())
    check = run_mypy(workspace.root, workspace.src, files)
    if check.configured is None:
        return "not configured: the project has no mypy configuration"
    if not check.ran:
        return f"mypy did not run ({check.configured}): {check.problem}"
    if check.ok:
        return f"mypy ({check.configured}): {len(files)} changed file(s), no error"
    shown = "; ".join(check.errors[:3])
    found = f"{len(check.errors)} error(s) in {len(files)} file(s)"
    return f"mypy ({check.configured}): {found}: {shown}"


def success_criteria(
    workspace: Workspace,
    baseline: Inventory,
    now: Analysis,
    verification: Sequence[CheckResult],
) -> list[CriterionRow]:
    expects = workspace.plan.success_criteria
    rows = [
        ("Code reduction", "re-export code removed", reexport_lines(workspace, baseline)),
        ("Single source of truth, fewer import paths",
         "every name imported from its source; fewer paths for the same function",
         import_paths(workspace.plan, baseline, now.inventory)),
        ("Deprecated modules removed", ", ".join(workspace.plan.removed) or "-",
         deprecated_removed(workspace.plan, now)),
        ("Backward compatibility", "remaining shims documented and clearly marked",
         compat_documented(workspace.plan, now)),
        ("Type safety", "the changed code passes mypy", type_checking(workspace, baseline)),
        ("Functionality", "all existing functionality preserved",
         functionality(verification)),
    ]  # fmt: skip
    # what the plan itself declares it expects replaces the generic expectation
    return [(name, expects.get(name, expected), measured) for name, expected, measured in rows]


def report_success_criteria(
    run: Run, baseline: Inventory, now: Analysis, verification: Sequence[CheckResult]
) -> None:
    run.reporter.table(
        "Success criteria (overall), measured against step 1",
        ("criterion", "the plan expects", "measured"),
        success_criteria(run.workspace, baseline, now, verification),
    )
