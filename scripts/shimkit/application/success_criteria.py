"""The plan's overall success criteria, measured at the end of step 5 (and so of ``migrate.py``).

Each row says what the plan expects and what the tree shows, compared with step 1's baseline.
Measured, never asserted: the table informs, the verification decides the exit status.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Sequence

from shimkit.analysis.tree_analysis import Analysis
from shimkit.application.baseline_changes import changed_since_baseline
from shimkit.application.ports import Reporter
from shimkit.application.workspace import Workspace
from shimkit.apply.git_steps import file_at
from shimkit.domain.model import Definition, Inventory
from shimkit.planning.checks import Check, CheckResult
from shimkit.planning.contracts import is_gone
from shimkit.verify.typecheck import run_mypy

CriterionRow = tuple[str, str, str]  # (criterion, what the plan expects, what was measured)
SHOWN = 6


def _lines(data: bytes) -> int:
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


def reexport_lines(workspace: Workspace, baseline: Inventory) -> str:
    """Lines of the plan's re-export layers at the baseline, and now."""
    if baseline.commit is None:
        return "not measured: step 1 recorded no commit"
    shims = set(workspace.plan.shims)
    before = after = deleted = layers = 0
    for shim in baseline.shims:
        if shim.module not in shims:
            continue
        old = file_at(workspace.root, baseline.commit, shim.path)
        if old is None:
            continue
        now = workspace.root / shim.path
        layers += 1
        before += _lines(old)
        if now.is_file():
            after += _lines(now.read_bytes())
        else:
            deleted += 1
    if not layers:
        return f"not measured: the baseline commit {baseline.commit[:10]} is not in this repository"
    return (
        f"{before - after} lines removed: {before} -> {after} in the plan's {layers} re-export "
        f"layer(s), {deleted} deleted"
    )


def _moved_names(workspace: Workspace, baseline: Inventory) -> set[Definition]:
    shims = set(workspace.plan.shims)
    return {
        r.definition for r in baseline.resolutions if r.shim in shims and r.definition is not None
    }


def _import_paths(inventory: Inventory, names: set[Definition]) -> dict[Definition, set[str]]:
    paths: dict[Definition, set[str]] = defaultdict(set)
    for name in names:
        paths[name].add(name.module)
    for resolution in inventory.resolutions:
        if resolution.definition in names:
            paths[resolution.definition].add(resolution.shim)
    return paths


def import_paths(workspace: Workspace, baseline: Inventory, now: Inventory) -> str:
    """Per moved name, the modules it can be imported from (its source and every layer
    re-exporting it) before -> after; and the usage sites that still go through a shim."""
    names = _moved_names(workspace, baseline)
    if not names:
        return "no name re-exported by the plan's shims at step 1"
    before, after = _import_paths(baseline, names), _import_paths(now, names)
    per_name = [
        f"{d.name} {len(before[d])} -> {len(after[d])}"
        for d in sorted(names, key=lambda d: (d.name, d.module))
    ]
    shims = set(workspace.plan.shims)
    sites_before = sum(1 for r in baseline.references if r.shim in shims)
    sites_after = sum(1 for r in now.references if r.shim in shims)
    sources = sorted({d.module for d in names})
    return (
        "import paths per name: "
        + "; ".join(per_name)
        + f". Usage sites through a shim: {sites_before} -> {sites_after}. Defined in: "
        + ", ".join(sources)
    )


def deprecated_removed(workspace: Workspace, now: Analysis) -> str:
    deprecated = workspace.plan.removed
    if not deprecated:
        return "the plan declares no deprecated module"
    modules = now.inventory.modules
    return "; ".join(
        f"{m}: {'removed' if is_gone(m, modules) else 'STILL PRESENT'}" for m in deprecated
    )


def compat_documented(workspace: Workspace, now: Analysis) -> str:
    kept = [m for m in workspace.plan.keep if now.codebase.has_module(m)]
    if not kept:
        return "no compatibility layer is kept"
    undocumented = []
    for module in kept:
        source = now.codebase.module(module)
        tree = source.tree if source is not None else None
        docstring = ast.get_docstring(tree) if tree is not None else None
        if not docstring or "compatibility layer" not in docstring.lower():
            undocumented.append(module)
    said = len(kept) - len(undocumented)
    return f"{said} of {len(kept)} kept layer(s) say 'compatibility layer' in their docstring" + (
        f"; not: {', '.join(undocumented)}" if undocumented else ""
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


def functionality(checks: Sequence[CheckResult]) -> str:
    measures = {
        Check.MODULES_IMPORT: "imports",
        Check.TESTS: "tests",
        Check.NEEDS_DECISION: "tests",
    }
    verdicts = {True: "ok", False: "FAILED", None: "to decide"}
    found = [
        f"{measures[result.check]} {verdicts[result.ok]}: {result.details}"
        for result in checks
        if result.check in measures
    ]
    return "; ".join(found) or "not measured"


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
         import_paths(workspace, baseline, now.inventory)),
        ("Deprecated modules removed", ", ".join(workspace.plan.removed) or "-",
         deprecated_removed(workspace, now)),
        ("Backward compatibility", "remaining shims documented and clearly marked",
         compat_documented(workspace, now)),
        ("Type safety", "the changed code passes mypy", type_checking(workspace, baseline)),
        ("Functionality", "all existing functionality preserved",
         functionality(verification)),
    ]  # fmt: skip
    # what the plan itself declares it expects replaces the generic expectation
    return [(name, expects.get(name, expected), measured) for name, expected, measured in rows]


def report_success_criteria(
    workspace: Workspace,
    baseline: Inventory,
    now: Analysis,
    verification: Sequence[CheckResult],
    reporter: Reporter,
) -> None:
    reporter.table(
        "Success criteria (overall), measured against step 1",
        ("criterion", "the plan expects", "measured"),
        success_criteria(workspace, baseline, now, verification),
    )
