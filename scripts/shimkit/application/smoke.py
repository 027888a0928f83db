"""Import checks, as steps 1 and 5, the import smoke and retire_shims run them: pick the modules a
change can affect, then import each on its own."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from shimkit.analysis import module_name
from shimkit.analysis.tree_analysis import Analysis
from shimkit.analysis.undone import UndoneSide
from shimkit.application.baseline_changes import changed_since_baseline
from shimkit.application.history import CHANGELOG
from shimkit.application.options import ImportOptions
from shimkit.application.run import Run
from shimkit.application.workspace import Workspace
from shimkit.domain.importlinter_file import CONFIG
from shimkit.domain.model import Inventory
from shimkit.planning.moves import exported_names
from shimkit.verify import ImportMode, SmokeReport, smoke_modules


@dataclass(frozen=True)
class ModuleSelection:
    """The modules an import check imports, and the candidates it leaves out."""

    modules: tuple[str, ...]
    skipped: int = 0  # candidates whose imports cannot reach anything the change touched


def importable_candidates(analysis: Analysis) -> list[str]:
    """Every module under src/ that importing should not run: ``__main__`` modules are scripts."""
    return [m for m in analysis.inventory.modules if m.rpartition(".")[2] != "__main__"]


def reexported_names(
    analysis: Analysis, only: Collection[str] | None = None
) -> dict[str, list[str]]:
    """The names each shim (or each of ``only``) passes through, None fallbacks included, each
    once (a guarded re-export is also its own fallback)."""
    return {
        shim.module: list(dict.fromkeys([*exported_names(shim), *shim.none_fallbacks]))
        for shim in analysis.inventory.shims
        if only is None or shim.module in only
    }


def modules_to_check(
    analysis: Analysis,
    candidates: Sequence[str],
    changed: Collection[str] | None,
    all_modules: bool = False,
) -> ModuleSelection:
    """The ``candidates`` whose static import closure reaches a ``changed`` (or deleted) module;
    all of them when ``all_modules`` is set or the change is unknown (``changed`` None)."""
    if all_modules or changed is None:
        return ModuleSelection(tuple(candidates))
    affected = analysis.imports.affected_modules(changed)
    chosen = tuple(m for m in candidates if m in affected)
    return ModuleSelection(chosen, skipped=len(candidates) - len(chosen))


# what the kit itself writes at the root of a tree (with ``--src .`` under the import root): a
# record of the change, read by no module
KIT_RECORDS = frozenset({CHANGELOG, CONFIG})


def changed_modules(
    workspace: Workspace, baseline: Inventory, also: Collection[str] = ()
) -> set[str] | None:
    """Modules changed or deleted since the baseline's commit, and ``also``; None when that cannot
    be told (no baseline commit, no git, or a file under src/ that is not Python changed)."""
    paths = changed_since_baseline(workspace, baseline)
    if paths is None:
        return None
    src = workspace.src.strip("/")
    modules = set(also)
    for path in paths:
        if src not in ("", ".") and not path.startswith(src + "/"):
            continue
        if "/__pycache__/" in f"/{path}" or path.endswith(".pyc") or path in KIT_RECORDS:
            continue
        if path.endswith(".ipynb"):
            continue  # a notebook is run by hand, never imported
        module = module_name(path, src)
        if module is None:
            return None  # data or config a module may read: any module may be affected
        modules.add(module)
    return modules


def import_each(
    run: Run,
    analysis: Analysis,
    selection: ModuleSelection,
    description: str,
    reexports: Mapping[str, Sequence[str]] | None = None,
    changed: Collection[str] = (),
    context: Collection[str] = (),
    one_interpreter: bool = True,
    undone: UndoneSide | None = None,
) -> SmokeReport:
    """Import each selected module on its own (as the run's ``ImportOptions`` say) and report the
    outcomes, each with the ``changed`` modules its import reached. ``context``: modules imported
    too, not checked, where the one interpreter enters import cycles as a whole check does.
    ``one_interpreter`` False: each module alone from the start (when the one interpreter could
    vouch for few of them, importing them all there first only costs). ``undone``: what the
    change did, for a failure to say whether its import did the same with the change undone."""
    workspace, reporter = run.workspace, run.reporter
    options = run.imports or ImportOptions()
    if selection.skipped:
        reporter.info(
            f"{description}: {len(selection.modules)} module(s) the change can affect; "
            f"{selection.skipped} skipped (--all-modules imports every one)"
        )
    modules = selection.modules
    with reporter.progress(description, len(modules)) as bar:
        report = smoke_modules(
            workspace.root,
            workspace.src,
            modules,
            reexports,
            jobs=options.jobs,
            on_progress=lambda done, total: bar.advance(),
            mode=ImportMode.FRESH if options.fresh_interpreters else ImportMode.FORK,
            preload=analysis.imports.external_imports(modules),
            changed=changed,
            order=analysis.imports.import_order() if one_interpreter else None,
            context=context if one_interpreter else (),
            undone=undone.to_json() if undone is not None else None,
        )
    for note in report.notes:
        reporter.warning(note)
    return report
