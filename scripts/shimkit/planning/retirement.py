"""Which of the layers asked for can be retired, and why each other one stays.

Never all or nothing over one name: a layer goes when every name its importers use (a star
import uses them all; a reference to the module itself needs them all in one place) can be
followed to where importers will find it. A layer that cannot go stays untouched, with the name
and the reason. A package goes whole or stays whole: when one of its submodules cannot go, the
package and every submodule stay.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace

from shimkit.analysis.tree_analysis import Analysis
from shimkit.domain.model import Moves, Reference
from shimkit.domain.steps import StepSpec
from shimkit.planning.moves import derive_moves, layer_problem


@dataclass(frozen=True)
class Blocker:
    """Why one module cannot be retired: one of its names, or the module as a whole."""

    module: str
    name: str  # "" when the reason is about the module, "*" for a star import of it
    reason: str


@dataclass(frozen=True)
class LeftLayer:
    """A layer that was asked for and stays, with what keeps it."""

    module: str
    blocker: Blocker  # about the layer itself, or a submodule of its package


@dataclass(frozen=True)
class Retirement:
    step: StepSpec  # only what can go
    moves: Moves
    left: tuple[LeftLayer, ...]


def plan_retirement(
    analysis: Analysis,
    step: StepSpec,
    requested: Collection[str],
    known: Mapping[str, Blocker] | None = None,
) -> Retirement:
    """Split ``step`` (packages already expanded to their submodules) into what can be retired
    and what stays. ``known``: blockers found elsewhere (a file whose rewrite fails).

    Keeping a layer can change where another layer's names go (the kept one may now be where
    they are found), so the split is repeated until it no longer changes.
    """
    blockers: dict[str, Blocker] = dict(known or {})
    retiring = _without(set(step.retire), blockers)
    while True:
        trial = replace(step, retire={m: d for m, d in step.retire.items() if m in retiring})
        moves = derive_moves(analysis, trial, strict=False)
        found = {
            module: blocker
            for module in sorted(retiring)
            if (blocker := _blocker(analysis, trial, module, moves, retiring)) is not None
        }
        if not found:
            break
        blockers.update(found)
        retiring = _without(retiring, blockers)
    left = tuple(
        LeftLayer(module, _cause(module, blockers))
        for module in requested
        if module in step.retire and module not in retiring
    )
    return Retirement(trial, moves, left)


def describe(left: LeftLayer) -> tuple[str, str, str]:
    """A row of the report: the layer that stays, the name that keeps it, why."""
    blocker = left.blocker
    name = f"{blocker.module}.{blocker.name}" if blocker.name else ""
    reason = blocker.reason
    if blocker.module.startswith(left.module + "."):
        reason = f"a package goes whole, and its submodule {blocker.module} cannot: {reason}"
    elif left.module.startswith(blocker.module + "."):
        reason = f"it lies in the package {blocker.module}, which stays: {reason}"
    return left.module, name, reason


def _without(retiring: set[str], blockers: Mapping[str, Blocker]) -> set[str]:
    """``retiring`` less every blocked module, every retiring package holding one, and everything
    inside such a package."""
    held = {m for m in retiring if any(b == m or b.startswith(m + ".") for b in blockers)}
    return {m for m in retiring if not any(m == h or m.startswith(h + ".") for h in held)}


def _cause(module: str, blockers: Mapping[str, Blocker]) -> Blocker:
    if module in blockers:
        return blockers[module]
    inside = sorted(b for b in blockers if b.startswith(module + "."))
    if inside:
        return blockers[inside[0]]
    holders = sorted((b for b in blockers if module.startswith(b + ".")), key=len)
    if holders:
        return blockers[holders[-1]]
    return Blocker(module, "", "left with the package that holds it")


def _blocker(
    analysis: Analysis, step: StepSpec, module: str, moves: Moves, retiring: Collection[str]
) -> Blocker | None:
    problem = layer_problem(analysis, module, step.mixed)
    if problem:
        return Blocker(module, "", problem)
    deleted = {
        layer.path
        for m in retiring
        if m not in step.mixed and (layer := analysis.layer(m)) is not None
    }
    for reference in analysis.inventory.references:
        if reference.shim != module or reference.exercises_shim or reference.path in deleted:
            continue
        if module in step.mixed:
            blocker = _unmovable_reexport(analysis, module, moves, reference)
        else:
            blocker = _unmovable(analysis, module, moves, reference)
        if blocker is not None:
            return blocker
    return None


def _unmovable(
    analysis: Analysis, module: str, moves: Moves, reference: Reference
) -> Blocker | None:
    """What of ``module`` that ``reference`` uses cannot be moved, if anything."""
    where = f"{reference.path}:{reference.line}"
    if "*" in reference.names:
        if module in moves.stars:
            return None
        unresolved = _first_unresolved(analysis, module, analysis.public_names(module), moves)
        if unresolved is not None:
            return unresolved
        return Blocker(
            module,
            "*",
            f"`from {module} import *` ({where}): no module, nor set of modules, binds exactly "
            "its names to the same objects",
        )
    if not reference.names:
        if module in moves.modules:
            return None
        unresolved = _first_unresolved(analysis, module, _all_names(analysis, module), moves)
        if unresolved is not None:
            return unresolved
        targets = sorted({target for (old, _), target in moves.names.items() if old == module})
        what = (
            f"its names move to several modules ({', '.join(targets)})"
            if targets
            else "it re-exports nothing to send it to"
        )
        return Blocker(module, "", f"{where} uses the module itself, and {what}")
    return _first_unresolved(analysis, module, reference.names, moves)


def _unmovable_reexport(
    analysis: Analysis, module: str, moves: Moves, reference: Reference
) -> Blocker | None:
    """What of the re-exports of ``module``, a module with code of its own that stays, that
    ``reference`` uses cannot be moved, if anything (its own names and the module itself stay)."""
    if "*" in reference.names:
        return Blocker(
            module,
            "*",
            f"`from {module} import *` ({reference.path}:{reference.line}) takes its re-exports "
            "too, and they go while the module stays",
        )
    reexported = set(_all_names(analysis, module))
    return _first_unresolved(
        analysis, module, [n for n in reference.names if n in reexported], moves
    )


def _all_names(analysis: Analysis, module: str) -> tuple[str, ...]:
    layer = analysis.layer(module)
    return () if layer is None else tuple(r.name for r in layer.reexports if r.name != "*")


def _first_unresolved(
    analysis: Analysis, module: str, names: Collection[str], moves: Moves
) -> Blocker | None:
    for name in names:
        if (module, name) not in moves.names:
            why = analysis.resolution(module, name).unresolved
            return Blocker(module, name, why or f"{module} does not bind it")
    return None
