"""Importing modules in fresh interpreters, as steps 1 and 5 and the import smoke all do it."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from shimkit.application.moves import exported_names
from shimkit.application.ports import Reporter
from shimkit.application.workspace import Analysis, Workspace
from shimkit.verify import SmokeReport, smoke_modules


def importable_candidates(analysis: Analysis) -> list[str]:
    """Every module under src/ that importing should not run: ``__main__`` modules are scripts."""
    return [m for m in analysis.inventory.modules if m.rpartition(".")[2] != "__main__"]


def reexported_names(
    analysis: Analysis, only: Collection[str] | None = None
) -> dict[str, list[str]]:
    """The names each shim (or each of ``only``) passes through, None fallbacks included."""
    return {
        shim.module: [*exported_names(shim), *shim.none_fallbacks]
        for shim in analysis.inventory.shims
        if only is None or shim.module in only
    }


def import_each(
    workspace: Workspace,
    modules: Sequence[str],
    reporter: Reporter,
    description: str,
    reexports: Mapping[str, Sequence[str]] | None = None,
    jobs: int = 2,
) -> SmokeReport:
    with reporter.progress(description, len(modules)) as bar:
        return smoke_modules(
            workspace.root,
            workspace.src,
            modules,
            reexports,
            jobs=jobs,
            on_progress=lambda done, total: bar.advance(),
        )
