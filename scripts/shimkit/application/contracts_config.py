"""The contracts a tree needs after a step: derived from the plan and the importers found."""

from __future__ import annotations

from pathlib import Path

from shimkit.application.workspace import Analysis, Workspace
from shimkit.apply.importlinter_file import ContractsState, read_lists, render
from shimkit.domain.errors import KitError
from shimkit.domain.model import FileChange, Moves, ReferenceKind
from shimkit.domain.steps import StepSpec

CONFIG = ".importlinter"
IMPORT_KINDS = frozenset(
    {
        ReferenceKind.FROM_IMPORT,
        ReferenceKind.RELATIVE_FROM_IMPORT,
        ReferenceKind.MODULE_IMPORT,
        ReferenceKind.SUBMODULE_FROM_IMPORT,
    }
)


def _existing(root: Path) -> str | None:
    path = root / CONFIG
    return path.read_text(encoding="utf-8") if path.is_file() else None


def _top(module: str) -> str:
    return module.split(".", 1)[0]


def contracts_state(
    workspace: Workspace, analysis: Analysis, step: StepSpec | None, moves: Moves
) -> ContractsState:
    """What ``.importlinter`` must say once ``step`` (None: nothing) has been applied."""
    plan = workspace.plan
    retiring = set(step.retire) if step else set()
    kept = {m for m in plan.keep if analysis.codebase.has_module(m)}
    existing = _existing(workspace.root)
    try:
        previously_retired = read_lists(existing)["retired"] if existing else ()
    except ValueError as error:
        raise KitError(str(error)) from error
    modules = set(analysis.inventory.modules) - retiring

    allowlist: set[tuple[str, str]] = set()
    for reference in analysis.inventory.references:
        importer = reference.importer
        if reference.kind not in IMPORT_KINDS or importer is None:
            continue
        if importer in retiring or importer in kept:
            continue
        for target in _targets_after(reference.shim, reference.names, moves):
            if target in plan.shims and target not in retiring and target in modules:
                allowlist.add((importer, target))

    layer_rank = {package: rank for rank, package in enumerate(plan.layers)}
    upward = {
        (importer, target)
        for importer, target in allowlist
        if _top(importer) in layer_rank
        and _top(target) in layer_rank
        and layer_rank[_top(importer)] > layer_rank[_top(target)]
    }
    shims_after = {s.module: s for s in analysis.inventory.shims}
    normalised = set(step.normalize) if step else set()
    reexport_only = {
        module
        for module in kept
        if module in normalised
        or (
            (shim := shims_after.get(module)) is not None
            and shim.pure
            and not shim.warns
            and not shim.none_fallbacks
            and not any(r.guarded for r in shim.reexports)
        )
    }
    roots = {_top(m) for m in modules}
    # retired once, retired for good; but adopting (step 1) takes the tree as it is: entries of
    # a tree the file was copied from do not apply to modules that exist here
    carried = {
        m for m in previously_retired if _top(m) in roots and (step is not None or m not in modules)
    }
    retired = {*carried, *(m for m in plan.retired if m not in modules and _top(m) in roots)}
    return ContractsState(
        root_packages=tuple(sorted(roots)),
        shims=tuple(sorted({*plan.shims, *retiring})),
        allowed_importers=_allowed_importers(analysis, kept),
        allowlist=tuple(sorted(allowlist)),
        layers=plan.layers,
        layers_allowlist=tuple(sorted(upward)),
        reexport_only=tuple(sorted(reexport_only)),
        retired=tuple(sorted(retired)),
    )


def _allowed_importers(analysis: Analysis, kept: set[str]) -> tuple[str, ...]:
    """The kept layers may import each other; a kept package's submodules count as inside it."""
    packages = {
        module
        for module in kept
        if (source := analysis.codebase.module(module)) is not None and source.is_package
    }
    covered = {m for m in kept if any(m.startswith(f"{p}.") for p in packages)}
    return tuple(sorted({*(set(kept) - covered), *(f"{p}.**" for p in packages)}))


def _targets_after(shim: str, names: tuple[str, ...], moves: Moves) -> set[str]:
    if names:
        return {moves.names.get((shim, name), shim) for name in names}
    return {moves.modules.get(shim, shim)}


def contracts_change(
    workspace: Workspace, analysis: Analysis, step: StepSpec | None, moves: Moves
) -> FileChange | None:
    """The ``.importlinter`` change a step brings, if the tree has one (or step 1 writes it)."""
    existing = _existing(workspace.root)
    if existing is None and step is not None:
        return None  # a tree without contracts: step 1 --write-contracts adopts them
    text = render(contracts_state(workspace, analysis, step, moves), existing)
    return None if text == existing else FileChange(CONFIG, existing, text, "contracts")
