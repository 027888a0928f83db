"""Step 5: nothing is broken, nothing is lost, and the guardrails hold."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from shimkit.application.contracts_config import CONFIG
from shimkit.application.decisions import shim_tests_to_decide
from shimkit.application.inventory_step import load_baseline
from shimkit.application.options import ImportOptions
from shimkit.application.ports import Reporter
from shimkit.application.smoke import (
    changed_modules,
    import_each,
    modules_to_check,
    reexported_names,
)
from shimkit.application.workspace import Analysis, Workspace, analyse
from shimkit.apply.importlinter_file import read_lists
from shimkit.domain.model import Area, Inventory, Reference
from shimkit.verify import (
    SmokeOutcome,
    check_identity,
    classify_failures,
    run_lint_imports,
    run_tests,
)

Row = tuple[str, bool, str]


@dataclass
class Verification:
    rows: list[Row] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)  # for a person: tests about retired shims
    decided_paths: set[str] = field(default_factory=set)  # their files: failures there are known

    def add(self, name: str, ok: bool, details: str = "") -> None:
        self.rows.append((name, ok, details))

    @property
    def ok(self) -> bool:
        return all(ok for _, ok, _ in self.rows)


def _listing(items: Collection[str], limit: int = 6) -> str:
    shown = sorted(items)[:limit]
    return ", ".join(shown) + (f" (+{len(items) - limit} more)" if len(items) > limit else "")


def _check_contract_drift(
    workspace: Workspace, retired: Collection[str], result: Verification
) -> None:
    path = workspace.root / CONFIG
    try:
        protected = set(read_lists(path.read_text(encoding="utf-8"))["protected"])
    except ValueError as error:
        result.add("contracts match the plan", False, str(error))
        return
    wanted = {*workspace.plan.shims, *retired}
    drift = (wanted - protected) | (protected - wanted)
    result.add(
        "contracts match the plan",
        not drift,
        "protected modules = the plan's shims" if not drift else f"differ on {_listing(drift)}",
    )


def _check_lint(workspace: Workspace, result: Verification) -> None:
    lint = run_lint_imports(workspace.root, workspace.src)
    lines = [line.strip() for line in lint.output.splitlines() if line.strip()]
    summary = next((line for line in reversed(lines) if "kept" in line), lines[-1] if lines else "")
    if not lint.ok:  # name what broke, not only how many
        broken = [line for line in lines if " -> " in line or line.endswith("BROKEN")]
        summary = "; ".join([*broken[:8], summary])
    result.add("lint-imports", lint.ok, summary)


def _check_contracts(
    workspace: Workspace, retired: Collection[str], required: bool, result: Verification
) -> None:
    if not (workspace.root / CONFIG).is_file():
        result.add(
            "import contracts",
            not required,
            f"no {CONFIG} in this tree"
            + (": run step 1 --write-contracts" if required else " (not adopted): skipped"),
        )
        return
    _check_contract_drift(workspace, retired, result)
    _check_lint(workspace, result)


def _check_references(
    analysis: Analysis, retired: Collection[str], kept: Collection[str], result: Verification
) -> None:
    gone = [m for m in retired if analysis.codebase.has_module(m)]
    result.add(
        "retired modules are deleted", not gone, _listing(gone) if gone else _listing(retired)
    )
    references = analysis.inventory.references
    retired_refs = [r for r in references if r.shim in retired]
    about_shim = [r for r in retired_refs if r.exercises_shim]
    result.decisions.extend(shim_tests_to_decide(about_shim))
    result.decided_paths.update(r.path for r in about_shim)
    stray = [r for r in retired_refs if not r.exercises_shim]
    result.add("no reference to a retired module", not stray, _where(stray))
    kept_paths = {s.path for s in analysis.inventory.shims if s.module in kept}
    # tests of the compatibility layer itself may name it; production code may not
    users = [
        r
        for r in references
        if r.shim in kept and r.path not in kept_paths and r.area is not Area.TESTS
    ]
    result.add("nothing outside tests uses the kept shims", not users, _where(users))


def _where(references: list[Reference]) -> str:
    return _listing([f"{r.path}:{r.line} ({r.shim})" for r in references])


def _check_imports(
    workspace: Workspace,
    analysis: Analysis,
    baseline: Inventory,
    retired: Collection[str],
    kept: Collection[str],
    reporter: Reporter,
    result: Verification,
    imports: ImportOptions,
) -> None:
    expected = [m for m in baseline.importable_modules if m not in retired]
    missing = [m for m in expected if not analysis.codebase.has_module(m)]
    present = [m for m in expected if analysis.codebase.has_module(m)]
    changed = changed_modules(workspace, baseline, also={*retired, *kept})
    selection = modules_to_check(analysis, present, changed, imports.all_modules)
    report = import_each(
        workspace,
        analysis,
        selection,
        reporter,
        "step 5: importing baseline modules",
        reexported_names(analysis, only=kept),
        imports,
    )
    # a deprecated shim this run does not retire may go on warning; nothing else may
    still_warning = {
        shim.path for shim in analysis.inventory.shims if shim.warns and shim.module not in retired
    }
    failed = [
        f"{r.module}: {r.message}"
        for r in report.results
        if not r.ok
        and not (
            r.outcome is SmokeOutcome.DEPRECATION
            and all(d.path in still_warning for d in r.deprecations)
        )
    ]
    result.add(
        "baseline modules still import",
        not failed and not missing,
        _listing(failed + [f"{m}: missing" for m in missing])
        if failed or missing
        else f"{len(selection.modules)} modules, no project DeprecationWarning, no None re-export"
        + (f" ({selection.skipped} the change cannot affect skipped)" if selection.skipped else ""),
    )
    pairs = [
        (res.shim, res.name, res.definition.module, res.definition.name)
        for res in analysis.inventory.resolutions
        if res.shim in kept and res.definition is not None
    ]
    problems = check_identity(workspace.root, workspace.src, pairs)
    result.add(
        "kept shims re-export the very objects",
        not problems,
        _listing(problems) if problems else f"{len(pairs)} names are the source's objects",
    )


def _check_tests(workspace: Workspace, baseline: Inventory, result: Verification) -> None:
    paths = [p for p in workspace.plan.tracking_tests if (workspace.root / p).exists()]
    if not paths and (workspace.root / "tests").is_dir():
        paths = ["tests"]  # the plan's test paths are not in this tree: run all its tests
    if not paths:
        result.add("tracking tests", True, "no tests in this tree")
        return
    run = run_tests(workspace.root, workspace.src, paths)
    decided = result.decided_paths
    failures = [f for f in run.failures if f.split("::", 1)[0] not in decided]
    for_person = [f for f in run.failures if f.split("::", 1)[0] in decided]
    if for_person:
        result.decisions.extend(f"{f} fails: it exercises a retired shim" for f in for_person)
    if not failures:
        result.add(
            "tracking tests",
            run.collected > 0,
            f"{run.passed} passed, {len(for_person)} left for a person",
        )
        return
    if baseline.commit is None:
        result.add(
            "tracking tests",
            False,
            f"failing: {_listing(failures)} (no baseline commit to compare)",
        )
        return
    verdicts = classify_failures(workspace.root, workspace.src, failures, baseline.commit)
    regressions = [f for f, verdict in verdicts.items() if verdict == "regression"]
    preexisting = [f for f, verdict in verdicts.items() if verdict != "regression"]
    result.add(
        "tracking tests",
        not regressions,
        (f"regressions: {_listing(regressions)}; " if regressions else "")
        + (f"pre-existing failures: {_listing(preexisting)}; " if preexisting else "")
        + f"{run.passed} passed",
    )


def verify(
    workspace: Workspace,
    reporter: Reporter,
    retired: Collection[str] | None = None,
    kept: Collection[str] | None = None,
    contracts_required: bool = True,
    imports: ImportOptions | None = None,
) -> Verification:
    plan = workspace.plan
    retired = set(plan.retired if retired is None else retired)
    kept = set(plan.keep if kept is None else kept)
    baseline = load_baseline(workspace)
    analysis = analyse(workspace, extra_shims=retired | kept)
    result = Verification()
    failures = analysis.inventory.parse_failures
    result.add(
        "every file parses", not failures, _listing([f"{f.path}:{f.line}" for f in failures])
    )
    _check_contracts(workspace, retired, contracts_required, result)
    _check_references(analysis, retired, kept, result)
    imports = imports or ImportOptions()
    _check_imports(workspace, analysis, baseline, retired, kept, reporter, result, imports)
    _check_tests(workspace, baseline, result)
    return result


def run_verify(
    workspace: Workspace, reporter: Reporter, imports: ImportOptions | None = None
) -> int:
    reporter.heading("Step 5: verify")
    workspace.check()
    result = verify(workspace, reporter, imports=imports)
    report(result, reporter)
    return 0 if result.ok else 1


def report(result: Verification, reporter: Reporter) -> None:
    reporter.checks("Verification", result.rows)
    for decision in result.decisions:
        reporter.warning(decision)
    reporter.info("verification passed" if result.ok else "verification FAILED")
