"""The import smoke (tox ``import-smoke``): every module under src/ imports in a fresh interpreter,
issues no DeprecationWarning from a project file, and re-exports no None."""

from __future__ import annotations

from shimkit.application.moves import exported_names
from shimkit.application.ports import Reporter
from shimkit.application.workspace import Workspace, analyse
from shimkit.verify import smoke_modules


def run_import_smoke(workspace: Workspace, reporter: Reporter, jobs: int = 2) -> int:
    analysis = analyse(workspace)
    modules = [m for m in analysis.inventory.modules if m.rpartition(".")[2] != "__main__"]
    reexports = {
        shim.module: [*exported_names(shim), *shim.none_fallbacks]
        for shim in analysis.inventory.shims
    }
    with reporter.progress("importing every module", len(modules)) as bar:
        report = smoke_modules(
            workspace.root,
            workspace.src,
            modules,
            reexports,
            jobs=jobs,
            on_progress=lambda done, total: bar.advance(),
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
