"""The contracts a tree needs after a step: derived from the plan and the importers found.

Every write of ``.importlinter`` describes the tree it is written for: root packages that exist,
layers the tree has (the others optional), the legacy importers of every shim that still import
it, and as retired exactly the modules that are gone.
"""

from __future__ import annotations

from collections.abc import Collection

from shimkit.analysis.tree_analysis import Analysis
from shimkit.domain.errors import KitError
from shimkit.domain.importlinter_file import (
    CONFIG,
    ContractsState,
    read_layers_allowlist,
    read_lists,
    render,
)
from shimkit.domain.model import ChangeKind, FileChange, Moves, ReferenceKind
from shimkit.domain.plan import Plan
from shimkit.domain.steps import StepSpec

IMPORT_KINDS = frozenset(
    {
        ReferenceKind.FROM_IMPORT,
        ReferenceKind.RELATIVE_FROM_IMPORT,
        ReferenceKind.MODULE_IMPORT,
        ReferenceKind.SUBMODULE_FROM_IMPORT,
    }
)


def _top(module: str) -> str:
    return module.split(".", 1)[0]


def _read(
    existing: str | None,
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[tuple[str, str], ...]]:
    """What an existing file retired (modules, ``module:name`` re-exports) and its layers'
    legacy upward imports."""
    if existing is None:
        return (), (), ()
    try:
        lists = read_lists(existing)
        return lists["retired"], lists["retired_names"], read_layers_allowlist(existing)
    except ValueError as error:
        raise KitError(str(error)) from error


def is_gone(module: str, modules: Collection[str]) -> bool:
    """No module of ``modules`` is ``module`` or lies inside it (a package is gone whole)."""
    prefix = module + "."
    return module not in modules and not any(m.startswith(prefix) for m in modules)


def missing_layers(plan: Plan, analysis: Analysis) -> tuple[str, ...]:
    """The plan's layers this tree does not have (written as optional layers)."""
    return tuple(layer for layer in plan.layers if not analysis.codebase.in_tree(layer))


def contracts_state(
    plan: Plan, existing: str | None, analysis: Analysis, step: StepSpec | None, moves: Moves
) -> ContractsState:
    """What ``.importlinter`` (today ``existing``, None: none) must say once ``step`` (None:
    nothing, i.e. adoption) is applied."""
    retiring = set(step.deleted) if step else set()
    modules = set(analysis.inventory.modules) - retiring
    kept = {m for m in plan.keep if m in modules}
    previously_retired, retired_names, previous_upward = _read(existing)

    allowlist: set[tuple[str, str]] = set()
    for reference in analysis.inventory.references:
        importer = reference.importer
        if reference.kind not in IMPORT_KINDS or importer is None:
            continue
        if importer in retiring or importer in kept:
            continue
        for target in _targets_after(reference.shim, reference.names, moves):
            if target in plan.shims and target in modules:
                allowlist.add((importer, target))

    layer_rank = {package: rank for rank, package in enumerate(plan.layers)}
    upward = {
        (importer, target)
        for importer, target in allowlist
        if _top(importer) in layer_rank
        and _top(target) in layer_rank
        and layer_rank[_top(importer)] > layer_rank[_top(target)]
    }
    if step is not None:
        # legacy upward imports unrelated to what this step moves stay allowlisted (the ratchet
        # only shrinks); those into a moved module were recomputed above from its importers
        moved = moves.old_modules() | retiring
        upward |= {
            (importer, imported)
            for importer, imported in previous_upward
            if importer in modules and imported in modules and imported not in moved
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
    retired = {
        module
        for module in (*previously_retired, *plan.retired, *retiring)
        if _top(module) in roots and is_gone(module, modules)
    }
    mixed = step.mixed if step else frozenset()
    names = {
        entry
        for entry in (*retired_names, *(f"{m}:{n}" for m, n in moves.names if m in mixed))
        if entry.partition(":")[0] in modules
    }
    return ContractsState(
        retired_names=tuple(sorted(names)),
        root_packages=tuple(sorted(roots)),
        shims=tuple(sorted({*plan.shims, *retiring})),
        allowed_importers=_allowed_importers(analysis, kept),
        allowlist=tuple(sorted(allowlist)),
        layers=plan.layers,
        layers_allowlist=tuple(sorted(upward)),
        reexport_only=tuple(sorted(reexport_only)),
        retired=tuple(sorted(retired)),
        optional_layers=missing_layers(plan, analysis),
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
    plan: Plan, existing: str | None, analysis: Analysis, step: StepSpec | None, moves: Moves
) -> FileChange | None:
    """The change a step brings to the tree's ``.importlinter`` (``existing``), if it has one."""
    if existing is None:
        return None  # a tree without contracts: step 1 --write-contracts adopts them
    text = render(contracts_state(plan, existing, analysis, step, moves), existing)
    return None if text == existing else FileChange(CONFIG, existing, text, ChangeKind.CONTRACTS)
