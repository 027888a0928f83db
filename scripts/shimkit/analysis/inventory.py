"""Assemble step 1's ``Inventory``: scan, shims, chains and references in one call."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path

from shimkit.domain.model import Inventory, ShimLayer

from .namespace import ModuleIndex
from .reexports import find_shims, shim_layer
from .references import find_references
from .resolve import resolve
from .sources import DEFAULT_AREAS, scan


def build_inventory(
    root: Path,
    src: str = "src",
    shim_modules: Collection[str] | None = None,
    exclude: Sequence[str] = (),
    areas: Sequence[str] = DEFAULT_AREAS,
) -> Inventory:
    """Scan ``root`` and inventory its shim layers.

    Without ``shim_modules``: every re-export layer found, and references to all of them. With
    it: those modules only (described as layers even where ``find_shims`` would not call them
    one; a listed module missing from the tree has no layer but its references are still
    collected). ``commit`` and ``importable_modules`` are left for the caller.
    """
    codebase = scan(root, src, areas=areas, exclude=exclude)
    index = ModuleIndex(codebase)
    shims: tuple[ShimLayer, ...]
    if shim_modules is None:
        shims = find_shims(codebase, index)
        wanted = [s.module for s in shims]
    else:
        wanted = sorted(set(shim_modules))
        layers = (shim_layer(codebase, m, index) for m in wanted)
        shims = tuple(layer for layer in layers if layer is not None)
    return Inventory(
        root=str(root),
        src=codebase.src,
        parse_failures=codebase.parse_failures,
        shims=shims,
        resolutions=resolve(codebase, shims, index),
        references=find_references(codebase, wanted, index),
        modules=codebase.modules,
    )
