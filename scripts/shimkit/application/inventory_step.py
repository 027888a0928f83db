"""Step 1: the inventory of every re-export layer and usage site, and the baseline for step 5."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from shimkit.analysis import inventory_from_json, inventory_to_json, render_markdown
from shimkit.application.contracts_config import contracts_change
from shimkit.application.options import RunOptions
from shimkit.application.ports import Reporter
from shimkit.application.smoke import import_each, importable_candidates
from shimkit.application.workspace import Analysis, Workspace, analyse
from shimkit.apply import apply_changes, repo_status, require_clean
from shimkit.apply.state_file import read_json, state_path, write_json, write_text
from shimkit.domain.errors import KitError
from shimkit.domain.model import ChangeSet, Inventory, Moves
from shimkit.verify import SmokeOutcome


def record_baseline(workspace: Workspace, analysis: Analysis, reporter: Reporter) -> Analysis:
    """Record the commit and the modules that import cleanly today, for step 5."""
    inventory = analysis.inventory
    report = import_each(
        workspace,
        importable_candidates(analysis),
        reporter,
        "step 1: importing every module (baseline)",
    )
    # a module that imports but warns is importable: the warning is what the migration removes
    importable = tuple(
        sorted(r.module for r in report.results if r.outcome is not SmokeOutcome.IMPORT_ERROR)
    )
    baseline = replace(
        inventory, commit=repo_status(workspace.root).head, importable_modules=importable
    )
    write_json(state_path(workspace.root), inventory_to_json(baseline))
    return replace(analysis, inventory=baseline)


def take_inventory(
    workspace: Workspace, reporter: Reporter, analysis: Analysis | None = None
) -> Analysis:
    """The baseline of ``workspace`` (``analysis``: one already made of the tree as it is)."""
    return record_baseline(workspace, analysis or analyse(workspace), reporter)


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
    if write_contracts:
        require_clean(workspace.root, (options or RunOptions()).allow_dirty)
    analysis = analyse(workspace)
    reporter.inventory(analysis.inventory)
    failures = analysis.inventory.parse_failures
    if failures:
        _write_reports(analysis.inventory, json_path, markdown_path)
        raise KitError(
            f"{len(failures)} file(s) do not parse, first {failures[0].path}:{failures[0].line}; "
            "import-linter cannot run and no step can rewrite until they do"
        )
    analysis = record_baseline(workspace, analysis, reporter)
    inventory = analysis.inventory
    not_importable = sorted(set(inventory.modules) - set(inventory.importable_modules))
    reporter.info(
        f"{len(inventory.shims)} re-export layer(s), {len(inventory.references)} usage site(s); "
        f"baseline: {len(inventory.importable_modules)} of {len(inventory.modules)} modules import"
        + (f" (not: {', '.join(not_importable)})" if not_importable else "")
    )
    _write_reports(inventory, json_path, markdown_path)
    if write_contracts:
        change = contracts_change(workspace, analysis, None, Moves())
        if change is None:
            reporter.info(".importlinter is up to date")
        else:
            reporter.changes(ChangeSet((change,)))
            apply_changes(workspace.root, ChangeSet((change,)))
            reporter.info("wrote .importlinter: the allowlist holds today's legacy importers")
    return 0


def _write_reports(
    inventory: Inventory, json_path: Path | None, markdown_path: Path | None
) -> None:
    if json_path:
        write_json(json_path, inventory_to_json(inventory))
    if markdown_path:
        write_text(markdown_path, render_markdown(inventory))
