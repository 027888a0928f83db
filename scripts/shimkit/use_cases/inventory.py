"""Step 1: the inventory of every re-export layer and usage site, and the baseline for step 5."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from shimkit.analysis import find_mixed, inventory_from_json, inventory_to_json, render_markdown
from shimkit.analysis.tree_analysis import Analysis
from shimkit.application.contracts_adoption import Adoption, adopt_contracts
from shimkit.application.plan_doc import (
    check_plan_doc,
    mark_steps_done,
    require_clean_but_status,
)
from shimkit.application.preconditions import Checked, check_preconditions, report_preconditions
from shimkit.application.preflight import preflight
from shimkit.application.run import Run
from shimkit.application.smoke import import_each, importable_candidates, modules_to_check
from shimkit.application.step_commits import AppliedStep
from shimkit.application.workspace import Workspace
from shimkit.apply import apply_changes, head_commit
from shimkit.apply.state_file import read_json, state_path, write_json, write_text
from shimkit.domain.errors import KitError
from shimkit.domain.importlinter_file import CONFIG
from shimkit.domain.model import ChangeKind, ChangeSet, FileChange, Inventory
from shimkit.domain.phases import BASELINE, timed
from shimkit.planning.contracts import missing_layers
from shimkit.verify import ContractsReport, SmokeOutcome, probe_contracts

TITLE = "Inventory of re-export layers"
EXIT_CONTRACTS_RED = 1
EXIT_PRECONDITIONS = 1


def violations(report: ContractsReport) -> tuple[str, ...]:
    """What breaks the contracts, one string per violation: compared between baseline and now."""
    found: set[str] = set()
    if report.error is not None:
        found.add(f"import-linter could not run: {report.error}")
    for contract in report.broken:
        found.update(f"{contract.id}: {chain}" for chain in contract.chains)
        found.update(f"{contract.id}: {problem}" for problem in contract.problems)
        if not contract.chains and not contract.problems:
            found.add(f"{contract.id}: broken")
    return tuple(sorted(found))


@timed(BASELINE)
def record_baseline(
    run: Run,
    analysis: Analysis,
    contracts: ContractsReport | None = None,
    checked: Checked | None = None,
) -> Analysis:
    """Record the commit, the modules that import today (with the project DeprecationWarnings
    each one already issues), the contract violations already there and (from step 1's
    preconditions) the failing tests, for step 5. Every module is imported, since step 5 may
    need any of them."""
    imports = run.imports
    all_modules = imports.all_modules if imports else False
    report = import_each(
        run,
        analysis,
        modules_to_check(analysis, importable_candidates(analysis), None, all_modules),
        "step 1: importing every module (baseline)",
    )
    # a module that imports but warns is importable: the warning may be what the migration
    # removes
    importable = tuple(
        sorted(r.module for r in report.results if r.outcome is not SmokeOutcome.IMPORT_ERROR)
    )
    warnings = tuple(
        sorted({(r.module, d.path, d.message) for r in report.results for d in r.deprecations})
    )
    return _recorded(run.workspace, analysis, importable, warnings, contracts, checked)


@timed(BASELINE)
def record_baseline_importing_nothing(workspace: Workspace, analysis: Analysis) -> Analysis:
    """The baseline of a copy where the tree before the change can be brought back: no module
    is imported now, since its verification imports before the change only what fails or warns
    after it (``verify.BeforeChange``)."""
    return _recorded(workspace, analysis, (), (), None, None)


def _recorded(
    workspace: Workspace,
    analysis: Analysis,
    importable: tuple[str, ...],
    warnings: tuple[tuple[str, str, str], ...],
    contracts: ContractsReport | None,
    checked: Checked | None,
) -> Analysis:
    inventory = analysis.inventory
    if contracts is None and (workspace.root / CONFIG).is_file():
        contracts = probe_contracts(
            workspace.root, workspace.src, CONFIG, masked=inventory.masked_files
        )
    baseline = replace(
        inventory,
        commit=head_commit(workspace.root),
        importable_modules=importable,
        import_warnings=warnings,
        contract_violations=violations(contracts) if contracts is not None else (),
    )
    if checked is not None:
        baseline = replace(
            baseline,
            test_failures=checked.test_failures,
            preconditions=checked.preconditions,
            work_in_flight=checked.work_in_flight,
        )
    write_json(state_path(workspace.root), inventory_to_json(baseline))
    return replace(analysis, inventory=baseline)


def load_baseline(workspace: Workspace) -> Inventory:
    data = read_json(state_path(workspace.root))
    if data is None:
        raise KitError("no step-1 inventory for this tree: run scripts/step1_inventory.py first")
    return inventory_from_json(data)


def run_inventory(
    run: Run,
    *,
    json_path: Path | None = None,
    markdown_path: Path | None = None,
    write_contracts: bool = False,
    on_applied: Callable[[AppliedStep], None] | None = None,
) -> int:
    workspace, reporter, options = run.workspace, run.reporter, run.options
    reporter.heading(f"Step 1: {TITLE.lower()}")
    workspace.check()
    if write_contracts:
        require_clean_but_status(workspace, options.allow_dirty, (CONFIG,))
    run = run.on(check_plan_doc(workspace, reporter))
    workspace = run.workspace
    analysis = run.analysis()
    mixed = find_mixed(analysis.codebase, analysis.index)
    analysis = replace(analysis, inventory=replace(analysis.inventory, mixed=mixed))
    reporter.inventory(analysis.inventory)
    if mixed:
        reporter.info(
            f"{len(mixed)} module(s) with code of their own also re-export: "
            + "; ".join(f"{m.module} ({', '.join(r.name for r in m.reexports)})" for m in mixed)
        )
    _write_reports(analysis.inventory, json_path, markdown_path)
    preflight(run, analysis)
    checked = check_preconditions(run, analysis)
    report_preconditions(checked, reporter)
    if checked.unmet and options.strict:
        reporter.info("--strict: a precondition is not met; nothing was recorded or written")
        return EXIT_PRECONDITIONS
    adoption = _adopt(run, analysis) if write_contracts else None
    if adoption is not None and not adoption.report.ok:
        return EXIT_CONTRACTS_RED
    analysis = record_baseline(
        run, analysis, adoption.report if adoption is not None else None, checked
    )
    inventory = analysis.inventory
    not_importable = sorted(set(inventory.modules) - set(inventory.importable_modules))
    reporter.info(
        f"{len(inventory.shims)} re-export layer(s), {len(inventory.references)} usage site(s); "
        f"baseline: {len(inventory.importable_modules)} of {len(inventory.modules)} modules import"
        + (f" (not: {', '.join(not_importable)})" if not_importable else "")
    )
    if inventory.import_warnings:
        reporter.info(
            f"{len(inventory.import_warnings)} project DeprecationWarning(s) already issued on "
            "import: step 5 counts only new ones"
        )
    _write_reports(inventory, json_path, markdown_path)
    if adoption is not None:
        written = _write_contracts(run, adoption)
        if written is not None and on_applied is not None:
            on_applied(AppliedStep("1", TITLE, written))
    mark_steps_done(run, (1,))
    return 0


def _adopt(run: Run, analysis: Analysis) -> Adoption:
    """Contracts for this tree, checked green by import-linter before anything is written."""
    workspace, reporter = run.workspace, run.reporter
    for layer in missing_layers(workspace.plan, analysis):
        reporter.warning(
            f"the plan's layer {layer} is not in this tree: written as an optional layer"
        )
    adoption = adopt_contracts(workspace, analysis)
    for note in adoption.notes:
        reporter.info(note)
    if not adoption.report.ok:
        report = adoption.report
        rows = [("import-linter runs", False, report.error)] if report.error else []
        rows += [(c.name, c.kept, "" if c.kept else c.describe()) for c in report.contracts]
        reporter.checks("Contracts for this tree (not written)", rows)
        for contract in report.broken:
            reporter.info(f"broken: {contract.describe()}")
        reporter.info(
            "the contracts cannot start green on this tree: nothing was written; "
            "fix what breaks them (above) and run step 1 again"
        )
    return adoption


def _write_contracts(run: Run, adoption: Adoption) -> ChangeSet | None:
    workspace, reporter = run.workspace, run.reporter
    path = workspace.root / CONFIG
    existing = path.read_text(encoding="utf-8") if path.is_file() else None
    kept = len(adoption.report.contracts)
    if existing == adoption.text:
        reporter.info(f".importlinter is up to date; lint-imports: green ({kept} contracts kept)")
        return None
    changes = ChangeSet((FileChange(CONFIG, existing, adoption.text, ChangeKind.CONTRACTS),))
    reporter.changes(changes)
    apply_changes(workspace.root, changes)
    reporter.info(f"wrote .importlinter; lint-imports: green ({kept} contracts kept)")
    return changes


def _write_reports(
    inventory: Inventory, json_path: Path | None, markdown_path: Path | None
) -> None:
    if json_path:
        write_json(json_path, inventory_to_json(inventory))
    if markdown_path:
        write_text(markdown_path, render_markdown(inventory))
