"""The import smoke (tox ``import-smoke``): every module under src/ imports on its own, issues no
DeprecationWarning from a project file, and re-exports no None.

A DeprecationWarning that a layer the plan retires issues from its own file is the baseline,
allowed as the contracts allowlist today's legacy importers: the plan's retirement deletes the
file, and with it the allowance, so the gate is green at adoption and stays strict after."""

from __future__ import annotations

from shimkit.analysis.tree_analysis import Analysis
from shimkit.application.run import Run
from shimkit.application.smoke import (
    import_each,
    importable_candidates,
    modules_to_check,
    reexported_names,
)
from shimkit.application.workspace import Workspace
from shimkit.verify.smoke_report import ModuleSmoke, SmokeOutcome


def run_import_smoke(run: Run) -> int:
    workspace, reporter = run.workspace, run.reporter
    analysis = run.analysis()
    modules = importable_candidates(analysis)
    report = import_each(
        run,
        analysis,
        modules_to_check(analysis, modules, changed=None),
        "importing every module",
        reexported_names(analysis),
    )
    retiring = _retiring_files(workspace, analysis)
    allowed = [f for f in report.failures if _warns_until_retired(f, retiring)]
    failures = [f for f in report.failures if f not in allowed]
    if allowed:
        warners = sorted({retiring[d.path] for f in allowed for d in f.deprecations})
        reporter.info(
            f"import smoke: {len(allowed)} module(s) warn only through layers the plan retires "
            f"({', '.join(warners)}): allowed until they are retired"
        )
    if not failures:
        reporter.info(f"import smoke: OK ({len(modules)} modules imported cleanly)")
        return 0
    reporter.checks(
        f"import smoke: {len(failures)} of {len(modules)} modules failed",
        [
            (
                failure.module,
                False,
                f"{failure.outcome.value}: {failure.message}"
                + (f" ({failure.path}:{failure.line})" if failure.path else ""),
            )
            for failure in failures
        ],
    )
    return 1


def _retiring_files(workspace: Workspace, analysis: Analysis) -> dict[str, str]:
    """The file of each layer the plan retires that is still in the tree, to its module."""
    files = {}
    for module in workspace.plan.retired:
        source = analysis.codebase.module(module)
        if source is not None:
            files[source.path] = module
    return files


def _warns_until_retired(failure: ModuleSmoke, retiring: dict[str, str]) -> bool:
    return (
        failure.outcome is SmokeOutcome.DEPRECATION
        and bool(failure.deprecations)
        and all(d.path in retiring for d in failure.deprecations)
    )
