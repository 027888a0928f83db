"""The import smoke (tox ``import-smoke``): every module under src/ imports on its own, issues no
DeprecationWarning from a project file, and re-exports no None."""

from __future__ import annotations

from shimkit.application.options import ImportOptions
from shimkit.application.ports import Reporter
from shimkit.application.smoke import (
    import_each,
    importable_candidates,
    modules_to_check,
    reexported_names,
)
from shimkit.application.workspace import Workspace, analyse


def run_import_smoke(
    workspace: Workspace, reporter: Reporter, imports: ImportOptions | None = None
) -> int:
    analysis = analyse(workspace)
    modules = importable_candidates(analysis)
    report = import_each(
        workspace,
        analysis,
        modules_to_check(analysis, modules, changed=None),
        reporter,
        "importing every module",
        reexported_names(analysis),
        imports,
    )
    if report.ok:
        reporter.info(f"import smoke: OK ({len(modules)} modules imported cleanly)")
        return 0
    reporter.checks(
        f"import smoke: {len(report.failures)} of {len(modules)} modules failed",
        [
            (
                failure.module,
                False,
                f"{failure.outcome.value}: {failure.message}"
                + (f" ({failure.path}:{failure.line})" if failure.path else ""),
            )
            for failure in report.failures
        ],
    )
    return 1
