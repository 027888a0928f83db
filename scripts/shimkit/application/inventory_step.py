"""Step 1: the inventory of every re-export layer and usage site, and the baseline for step 5."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from shimkit.analysis import inventory_from_json, inventory_to_json, render_markdown
from shimkit.application.contracts_config import contracts_change
from shimkit.application.options import RunOptions
from shimkit.application.ports import Reporter
from shimkit.application.workspace import Analysis, Workspace, analyse
from shimkit.apply import apply_changes, repo_status, require_clean
from shimkit.apply.state_file import read_json, state_path, write_json, write_text
from shimkit.domain.errors import KitError
from shimkit.domain.model import ChangeSet, Inventory, Moves
from shimkit.verify import smoke_modules


def take_inventory(workspace: Workspace, reporter: Reporter) -> Analysis:
    """Analyse the tree, then record the commit and the modules that import cleanly today."""
    first = analyse(workspace)
    detected = {shim.module for shim in first.inventory.shims}
    analysis = (
        analyse(workspace, extra_shims=detected) if detected - set(workspace.plan.shims) else first
    )
    inventory = analysis.inventory
    with reporter.progress(
        "step 1: importing every module (baseline)", len(inventory.modules)
    ) as bar:
        report = smoke_modules(
            workspace.root,
            workspace.src,
            inventory.modules,
            on_progress=lambda done, total: bar.advance(),
        )
    importable = tuple(sorted(result.module for result in report.results if result.ok))
    baseline = replace(
        inventory, commit=repo_status(workspace.root).head, importable_modules=importable
    )
    write_json(state_path(workspace.root), inventory_to_json(baseline))
    return replace(analysis, inventory=baseline)


def load_baseline(workspace: Workspace) -> Inventory:
    data = read_json(state_path(workspace.root))
    if data is None:
        raise KitError("no step-1 inventory for this tree: run scripts/step1_inventory.py first")
    return inventory_from_json(data)


def run_inventory(
    workspace: Workspace,
    reporter: Reporter,
    *,
    json_path: Path | None = None,
    markdown_path: Path | None = None,
    write_contracts: bool = False,
    options: RunOptions | None = None,
) -> int:
    reporter.heading("Step 1: inventory of re-export layers")
    workspace.check()
    analysis = take_inventory(workspace, reporter)
    inventory = analysis.inventory
    reporter.inventory(inventory)
    not_importable = sorted(set(inventory.modules) - set(inventory.importable_modules))
    reporter.info(
        f"{len(inventory.shims)} re-export layer(s), {len(inventory.references)} usage site(s); "
        f"baseline: {len(inventory.importable_modules)} of {len(inventory.modules)} modules import"
        + (f" (not: {', '.join(not_importable)})" if not_importable else "")
    )
    if json_path:
        write_json(json_path, inventory_to_json(inventory))
    if markdown_path:
        write_text(markdown_path, render_markdown(inventory))
    if inventory.parse_failures:
        first = inventory.parse_failures[0]
        raise KitError(
            f"{len(inventory.parse_failures)} file(s) do not parse, "
            f"first {first.path}:{first.line}; "
            "import-linter cannot run and no step can rewrite until they do"
        )
    if write_contracts:
        change = contracts_change(workspace, analysis, None, Moves())
        if change is None:
            reporter.info(".importlinter is up to date")
        else:
            reporter.changes(ChangeSet((change,)))
            require_clean(workspace.root, (options or RunOptions()).allow_dirty)
            apply_changes(workspace.root, ChangeSet((change,)))
            reporter.info("wrote .importlinter: the allowlist holds today's legacy importers")
    return 0
