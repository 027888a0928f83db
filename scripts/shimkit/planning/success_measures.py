"""The plan's success criteria that are measured from the analyses and the verification alone:
import paths per moved name, deprecated modules gone, kept layers documented, functionality."""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Sequence

from shimkit.analysis.tree_analysis import Analysis
from shimkit.domain.model import Definition, Inventory
from shimkit.domain.plan import Plan
from shimkit.planning.checks import Check, CheckResult
from shimkit.planning.contracts import is_gone


def line_count(data: bytes) -> int:
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


def _moved_names(plan: Plan, baseline: Inventory) -> set[Definition]:
    shims = set(plan.shims)
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


def import_paths(plan: Plan, baseline: Inventory, now: Inventory) -> str:
    """Per moved name, the modules it can be imported from (its source and every layer
    re-exporting it) before -> after; and the usage sites that still go through a shim."""
    names = _moved_names(plan, baseline)
    if not names:
        return "no name re-exported by the plan's shims at step 1"
    before, after = _import_paths(baseline, names), _import_paths(now, names)
    per_name = [
        f"{d.name} {len(before[d])} -> {len(after[d])}"
        for d in sorted(names, key=lambda d: (d.name, d.module))
    ]
    shims = set(plan.shims)
    sites_before = sum(1 for r in baseline.references if r.shim in shims)
    sites_after = sum(1 for r in now.references if r.shim in shims)
    sources = sorted({d.module for d in names})
    return (
        "import paths per name: "
        + "; ".join(per_name)
        + f". Usage sites through a shim: {sites_before} -> {sites_after}. Defined in: "
        + ", ".join(sources)
    )


def deprecated_removed(plan: Plan, now: Analysis) -> str:
    deprecated = plan.removed
    if not deprecated:
        return "the plan declares no deprecated module"
    modules = now.inventory.modules
    return "; ".join(
        f"{m}: {'removed' if is_gone(m, modules) else 'STILL PRESENT'}" for m in deprecated
    )


def compat_documented(plan: Plan, now: Analysis) -> str:
    kept = [m for m in plan.keep if now.codebase.has_module(m)]
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
