"""Find re-export layers (shims): modules under ``src`` that pass on names defined elsewhere."""

from __future__ import annotations

from dataclasses import replace

from shimkit.domain.model import ReExport, ShimLayer

from .codebase import Codebase
from .namespace import ModuleIndex, Namespace, loaded_names


def find_shims(codebase: Codebase, index: ModuleIndex | None = None) -> tuple[ShimLayer, ...]:
    """Every re-export layer of the tree, sorted by module.

    A module is one when it re-exports at least one name from a module of the analysed tree and
    defines nothing real of its own (no def/class other than dunders such as a PEP 562
    ``__getattr__``, no ``if __name__ == "__main__"``). Names such a ``__getattr__`` provides
    through plain branches (``shimkit.analysis.lazy``) are re-exports too, marked ``lazy``.
    """
    index = index or ModuleIndex(codebase)
    shims: list[ShimLayer] = []
    for module in codebase.modules:
        ns = index.namespace(module)
        if ns is None or ns.real or module.rpartition(".")[2] == "__main__":
            continue
        layer = _layer(codebase, index, ns)
        # a deprecated layer is one whatever it re-exports: from the tree, from an installed
        # package, or from a module that is gone
        if (layer.warns and layer.reexports) or any(
            codebase.in_tree(r.imported_from) for r in layer.reexports
        ):
            shims.append(layer)
    return tuple(shims)


def find_mixed(codebase: Codebase, index: ModuleIndex | None = None) -> tuple[ShimLayer, ...]:
    """Every module with code of its own that also re-exports names from the tree (a name it
    imports and does not use itself, or lists in ``__all__``), sorted by module: its
    ``reexports`` are those names. ``retire_shims.py`` can retire them and leave the module."""
    index = index or ModuleIndex(codebase)
    found: list[ShimLayer] = []
    for module in codebase.modules:
        ns = index.namespace(module)
        if ns is None or not ns.real or module.rpartition(".")[2] == "__main__":
            continue
        layer = _layer(codebase, index, ns)
        reexports = tuple(r for r in layer.reexports if codebase.in_tree(r.imported_from))
        if reexports and not layer.is_package_init:
            found.append(replace(layer, reexports=reexports))
    return tuple(found)


def shim_layer(
    codebase: Codebase, module: str, index: ModuleIndex | None = None
) -> ShimLayer | None:
    """Describe ``module`` as a re-export layer whatever it holds (None if not parsable/in tree).

    For modules a plan declares to be shims even when ``find_shims`` would not call them one.
    """
    if codebase.module(module) is None:
        return None
    index = index or ModuleIndex(codebase)
    ns = index.namespace(module)
    return None if ns is None else _layer(codebase, index, ns)


def _layer(codebase: Codebase, index: ModuleIndex, ns: Namespace) -> ShimLayer:
    source = codebase.module(ns.module)
    assert source is not None
    listed = set(ns.all_names) if ns.all_names is not None else None
    used = loaded_names(source.tree) if source.tree else frozenset()
    reexports: list[ReExport] = []
    for b in ns.imports:
        if b.type_checking:
            continue
        if b.name is None:  # ``import a.b as x``: a re-export only when ``__all__`` lists it
            if listed is None or b.local not in listed or "." not in b.module:
                continue
            parent, _, leaf = b.module.rpartition(".")
            reexports.append(ReExport(b.local, parent, leaf, b.line, b.guarded))
            continue
        if listed is not None and b.local in listed:
            pass
        elif (
            # a name ``__all__`` leaves out is still passed on when nothing else explains the
            # import (``from shim import Extra`` works): it is judged like a layer without one
            (b.local.startswith("_") and b.local != b.name)  # ``import x as _x``: a tool
            or not (codebase.in_tree(b.module) or ns.warns)
            or b.local in used  # imported for the module's own use
        ):
            # a private name imported under its own name from the tree and never used is
            # passed on on purpose (``from M import _table``): importers take it from here
            continue
        reexports.append(ReExport(b.local, b.module, b.name, b.line, b.guarded))
    for star in ns.stars:
        if star.type_checking:
            continue
        # seen from the layer itself: a self-import of it by its source is not passed on
        names = index.public_names(star.module, frozenset({ns.module}), passed_on=True)
        if listed is not None:
            names = tuple(n for n in names if n in listed)
        if not names:
            reexports.append(ReExport("*", star.module, "*", star.line, star.guarded, star=True))
        for n in names:
            if n in ns.primary:  # an explicit binding of the module wins over the star
                continue
            reexports.append(ReExport(n, star.module, n, star.line, star.guarded, star=True))
    if ns.lazy is not None:  # asked for only when nothing else binds the name (PEP 562)
        starred = {r.name for r in reexports if r.star}
        for lazy in ns.lazy.names.values():
            if lazy.original is None or lazy.name in ns.primary or lazy.name in starred:
                continue
            reexports.append(ReExport(lazy.name, lazy.module, lazy.original, lazy.line, lazy=True))
    own_package = ns.module + "."
    tree_sources = [r.imported_from for r in reexports if codebase.in_tree(r.imported_from)]
    facade = (
        source.is_package
        and bool(tree_sources)
        and all(m.startswith(own_package) for m in tree_sources)
    )
    return ShimLayer(
        module=ns.module,
        path=source.path,
        reexports=tuple(reexports),
        warns=ns.warns,
        is_package_init=source.is_package,
        facade=facade,
        pure=ns.pure,
        none_fallbacks=tuple(ns.none_fallbacks),
        all_names=ns.all_names,
        reexports_only=not ns.logic,
    )
