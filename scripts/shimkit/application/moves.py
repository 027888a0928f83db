"""Turn a step's declarations into ``Moves``: where every name of every moved module goes."""

from __future__ import annotations

from collections.abc import Mapping

from shimkit.application.workspace import Analysis
from shimkit.domain.errors import KitError
from shimkit.domain.model import Definition, Moves, ShimLayer
from shimkit.domain.steps import StepSpec


def exported_names(shim: ShimLayer) -> tuple[str, ...]:
    return tuple(sorted({r.name for r in shim.reexports if r.name != "*"}))


def _definition(analysis: Analysis, shim: str, name: str) -> Definition:
    definition = analysis.definition(shim, name)
    if definition is None:
        raise KitError(f"cannot find where {shim}.{name} is defined; is its source in the tree?")
    return definition


def _require_shim(analysis: Analysis, module: str) -> ShimLayer | None:
    shim = analysis.shim(module)
    if shim is None:
        if analysis.codebase.has_module(module):
            raise KitError(f"{module} is not a re-export layer: it defines code of its own")
        return None  # already gone: nothing to move
    if not shim.pure:
        raise KitError(f"{module} holds logic besides re-exports; retire it by hand")
    return shim


def derive_moves(analysis: Analysis, step: StepSpec) -> Moves:
    names: dict[tuple[str, str], str] = {}
    renames: dict[tuple[str, str], str] = {}
    modules: dict[str, str] = {}
    moved = [(module, destination, True) for module, destination in step.retire.items()]
    # a kept layer stays importable, so references to the module itself stay valid
    moved += [(module, None, False) for module in step.redirect]
    for module, destination, whole in moved:
        shim = _require_shim(analysis, module)
        if shim is None:
            continue
        for name in exported_names(shim):
            if destination:  # a kept layer takes the name over under the same name
                names[(module, name)] = destination
                continue
            definition = _definition(analysis, module, name)
            names[(module, name)] = definition.module
            if definition.name != name:
                renames[(module, name)] = definition.name
        targets = {target for (old, _), target in names.items() if old == module}
        if whole and len(targets) == 1:
            modules[module] = targets.pop()
    return Moves(names=names, modules=modules, kept=frozenset(step.redirect), renames=renames)


def compat_notice(exports: Mapping[str, Definition]) -> str:
    """The paragraph that marks a kept shim as a compatibility layer, naming where names live."""
    sources = [definition.module.split(".") for definition in exports.values()]
    common: list[str] = []
    for parts in zip(*sources, strict=False):
        if len(set(parts)) != 1:
            break
        common.append(parts[0])
    where = f"``{'.'.join(common)}``" if common else "their source modules"
    return (
        f"Compatibility layer: these names are re-exported from {where},\n"
        "their single source of truth; new code should import them from there."
    )


def kept_shim_exports(
    analysis: Analysis, step: StepSpec, moves: Moves
) -> dict[str, dict[str, Definition]]:
    """For every kept shim this step normalises: exported name -> its definition.

    A kept shim that takes over the importers of a retired one also takes over its names.
    """
    exports: dict[str, dict[str, Definition]] = {}
    for module in step.normalize:
        shim = analysis.shim(module)
        if shim is None:
            continue
        exports[module] = {
            name: _definition(analysis, module, name) for name in exported_names(shim)
        }
    for (old_module, name), destination in moves.names.items():
        if destination in exports and name not in exports[destination]:
            exports[destination][name] = _definition(analysis, old_module, name)
    return exports
