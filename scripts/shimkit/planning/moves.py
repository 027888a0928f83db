"""Turn a step's declarations into ``Moves``: where every name of every moved module goes."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from shimkit.analysis.tree_analysis import Analysis
from shimkit.domain.errors import KitError
from shimkit.domain.model import VIA_STAR, Definition, Moves, Resolution, ShimLayer
from shimkit.domain.steps import StepSpec


def exported_names(shim: ShimLayer) -> tuple[str, ...]:
    return tuple(sorted({r.name for r in shim.reexports if r.name != "*"}))


def _not_found(analysis: Analysis, shim: str, name: str) -> KitError:
    why = analysis.resolution(shim, name).unresolved or "is its source in the tree?"
    return KitError(f"cannot find where {shim}.{name} is defined: {why}")


def _definition(analysis: Analysis, shim: str, name: str) -> Definition:
    definition = analysis.definition(shim, name)
    if definition is None:
        raise _not_found(analysis, shim, name)
    return definition


def defines_code(analysis: Analysis, module: str) -> bool:
    """``module`` is no re-export layer at all: code of its own, and nothing from the tree."""
    layer = analysis.layer(module)
    return (
        layer is not None
        and not layer.reexports_only
        and not any(analysis.codebase.in_tree(r.imported_from) for r in layer.reexports)
    )


def is_mixed(analysis: Analysis, module: str) -> bool:
    """``module`` holds code of its own and also re-exports names from the tree: its re-exports
    can be retired while the module stays."""
    layer = analysis.layer(module)
    return (
        layer is not None
        and not layer.reexports_only
        and not layer.warns
        and any(analysis.codebase.in_tree(r.imported_from) for r in layer.reexports)
    )


def layer_problem(analysis: Analysis, module: str, mixed: Collection[str] = ()) -> str:
    """Why ``module`` cannot be retired by moving its names ("" when it can); a module of
    ``mixed`` only loses its re-exports."""
    layer = analysis.layer(module)
    if layer is None:
        return ""
    gone = sorted(
        {r.imported_from for r in layer.reexports if not analysis.index.exists(r.imported_from)}
    )
    if gone:
        return (
            f"it re-exports {gone[0]}, which is neither in the tree nor installed (importing it "
            "fails already): retire it by hand"
        )
    if layer.reexports_only or module in mixed:
        return ""
    if defines_code(analysis, module):
        return "it is not a re-export layer: it defines code of its own"
    return "it holds code besides re-exports; retire it by hand"


def _require_shim(analysis: Analysis, module: str) -> ShimLayer | None:
    problem = layer_problem(analysis, module)
    if problem:
        raise KitError(f"{module}: {problem}")
    return analysis.layer(module)  # None: already gone, nothing to move


def _is_surface(analysis: Analysis, module: str, moving: Collection[str] = ()) -> bool:
    """A module importers may be sent to in place of a retired layer: not deprecated, and not a
    cross-package re-export layer. A module with code of its own is one, and so is a package
    facade, unless all it re-exports comes from such layers (an old package's facade over its
    shim subpackages is a layer too). The package is judged as the change leaves it: what it
    takes from a layer that goes (``moving``) it will take from where that layer leads."""
    layer = analysis.layer(module)
    if layer is None or layer.warns:
        return False
    if analysis.shim(module) is None:
        return True
    sources = {
        r.imported_from
        for r in layer.reexports
        if analysis.codebase.in_tree(r.imported_from) and r.imported_from not in moving
    }
    facade = layer.is_package_init and all(s.startswith(module + ".") for s in sources)
    return facade and not (sources and all(_passes_through(analysis, s) for s in sources))


def _passes_through(analysis: Analysis, module: str) -> bool:
    """A deprecated module, or a cross-package re-export layer: never where importers go."""
    layer = analysis.shim(module)
    return layer is not None and (layer.warns or not layer.facade)


def destination(
    analysis: Analysis, resolution: Resolution, moving: Collection[str]
) -> tuple[str, str] | None:
    """Where an importer of ``resolution.shim``'s name goes, and what the name is called there.

    The first module of the chain that stays and is a public surface for the name: one the chain
    enters through a star import (it provides the same names), or one that provides the name
    lazily through a PEP 562 ``__getattr__`` (its author chose when the name is imported). Else
    the module that defines it. None when the name cannot be followed to a definition.
    """
    definition = resolution.definition
    if definition is None:
        return None
    chain, via, names = resolution.chain, resolution.via, resolution.names
    for index in range(1, len(chain)):
        module = chain[index]
        if module in moving or not _is_surface(analysis, module, moving):
            continue
        if (
            via[index - 1] == VIA_STAR
            or resolution.provides_lazily(module)
            or chain[index - 1] in moving
        ):
            return module, names[index] if index < len(names) else resolution.name
    return definition.module, definition.name


def star_modules(
    analysis: Analysis, module: str, targets: Mapping[str, str], moving: Collection[str]
) -> tuple[str, ...] | None:
    """The modules whose star imports, together, bind exactly the names ``from module import *``
    binds, to the same objects: one module where one does (the names' common destination, or
    the nearest package above their destinations), else each destination in order of first
    appearance. None when no such set exists."""
    public = analysis.public_names(module)
    if not public or any(name not in targets for name in public):
        return None
    wanted = {name: analysis.definition(module, name) for name in public}

    def binds_exactly(modules: tuple[str, ...]) -> bool:
        bound: set[str] = set()
        for candidate in modules:
            names = [  # a self-import through a retiring layer is rewritten, never passed on
                n
                for n in analysis.public_names(candidate)
                if analysis.index.bound_module(candidate, n) not in moving
            ]
            if any(wanted.get(n) != analysis.definition(candidate, n) for n in names):
                return False
            bound.update(names)
        return bound == set(public)

    found = tuple(dict.fromkeys(targets[name] for name in public))
    if len(found) > 1:
        for package in _packages_above(found):
            surface = package not in moving and _is_surface(analysis, package, moving)
            if surface and binds_exactly((package,)):
                return (package,)
    return found if binds_exactly(found) else None


def _packages_above(modules: tuple[str, ...]) -> list[str]:
    """The packages holding all of ``modules``, nearest first."""
    common: list[str] = []
    for parts in zip(*(m.split(".") for m in modules), strict=False):
        if len(set(parts)) != 1:
            break
        common.append(parts[0])
    return [".".join(common[:size]) for size in range(len(common), 0, -1)]


def derive_moves(analysis: Analysis, step: StepSpec, *, strict: bool = True) -> Moves:
    """Where every name of every module the step moves goes.

    ``strict``: a name that cannot be followed to its definition is an error (a plan step does
    all of its work or none). Otherwise it is left out of the moves, and so is a whole-module or
    star move of its layer: whoever retires the layer has checked that nothing uses it.
    """
    names: dict[tuple[str, str], str] = {}
    renames: dict[tuple[str, str], str] = {}
    modules: dict[str, str] = {}
    stars: dict[str, tuple[str, ...]] = {}
    moving = step.moved_modules
    # a mixed module stays: its re-exported names move one by one, never the module as a whole
    moved = [
        (module, destination, module not in step.mixed)
        for module, destination in step.retire.items()
    ]
    # a kept layer stays importable, so references to the module itself stay valid
    moved += [(module, None, False) for module in step.redirect]
    for module, kept_layer, whole in moved:
        shim = (
            _require_shim(analysis, module)
            if strict and module not in step.mixed
            else analysis.layer(module)
        )
        if shim is None:
            continue
        complete = True
        for name in exported_names(shim):
            if kept_layer:  # a kept layer takes the name over under the same name
                names[(module, name)] = kept_layer
                continue
            resolution = analysis.resolution(module, name)
            target = destination(analysis, resolution, moving)
            if target is None:
                if strict:
                    raise _not_found(analysis, module, name)
                complete = False
                continue
            names[(module, name)] = target[0]
            if target[1] != name:
                renames[(module, name)] = target[1]
        if not whole or not complete:
            continue
        own = {name: target for (old, name), target in names.items() if old == module}
        if len(set(own.values())) == 1:
            modules[module] = next(iter(own.values()))
        if not kept_layer:
            found = star_modules(analysis, module, own, moving)
            if found is not None:
                stars[module] = found
    return Moves(
        names=names,
        modules=modules,
        kept=frozenset(step.redirect) | step.mixed,
        renames=renames,
        stars=stars,
        mixed=step.mixed,
    )


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
    for (old_module, name), destination_module in moves.names.items():
        if destination_module in exports and name not in exports[destination_module]:
            exports[destination_module][name] = _definition(analysis, old_module, name)
    return exports
