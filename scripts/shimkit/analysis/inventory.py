"""Assemble step 1's ``Inventory``: scan, shims, chains and references in one call."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

from shimkit.domain.model import Inventory, ShimLayer

from .codebase import Codebase
from .memory import no_cycle_collection
from .namespace import ModuleIndex
from .reexports import find_shims, shim_layer
from .references import find_references
from .resolve import resolve
from .sources import scan
from .triage import root_packages, triage


def build_inventory(
    root: Path,
    src: str = "src",
    shim_modules: Collection[str] | None = None,
    exclude: Sequence[str] = (),
) -> Inventory:
    """Scan ``root`` and inventory its shim layers (see ``inventory_of``)."""
    return inventory_of(scan(root, src, exclude=exclude), shim_modules)


def inventory_of(
    codebase: Codebase,
    shim_modules: Collection[str] | None = None,
    also_referenced: Collection[str] = (),
    *,
    watched: Collection[str] | None = None,
    roots: Collection[str] | None = None,
    names_before: Mapping[str, Collection[str]] | None = None,
    references_to: Collection[str] | None = None,
) -> Inventory:
    """The inventory of a scanned codebase.

    Without ``shim_modules``: every re-export layer found, and references to all of them. With
    it: those modules only (described as layers even where ``find_shims`` would not call them
    one; a listed module missing from the tree has no layer but its references are still
    collected). References to ``also_referenced`` (modules perhaps already deleted) are collected
    too (``names_before``: what such modules bound, see ``find_references``). With
    ``references_to``, references to those modules and the layers below them only: a run that
    changes a few modules reads no others' (Django: 42 layers, 3,126 references, 153 of them to
    the one shim retired). A
    module's references do not depend on which others are looked for, but in docstring
    examples, which are read together where they show one of the modules looked for (as the
    rewrite reads those that show a module it moves). ``commit`` and
    ``importable_modules`` are left for the caller.

    Files that do not parse block the run when they lie in one of ``roots`` (default: the tree's
    root packages) or could name one of ``watched`` (default: every module referenced); the
    others are listed as skipped (see ``triage``).
    """
    with no_cycle_collection():
        index = ModuleIndex(codebase)
        shims: tuple[ShimLayer, ...]
        if shim_modules is None:
            shims = find_shims(codebase, index)
        else:
            layers = (shim_layer(codebase, m, index) for m in sorted(set(shim_modules)))
            shims = tuple(layer for layer in layers if layer is not None)
        wanted = sorted({*(s.module for s in shims), *(shim_modules or ()), *also_referenced})
        referenced = wanted if references_to is None else _at_or_below(wanted, references_to)
        return Inventory(
            root=str(codebase.root),
            src=codebase.src,
            parse_failures=triage(
                codebase,
                wanted if watched is None else watched,
                root_packages(codebase) if roots is None else roots,
            ),
            shims=shims,
            resolutions=resolve(codebase, shims, index),
            references=find_references(codebase, referenced, index, names_before),
            modules=codebase.modules,
            skipped_cells=codebase.skipped_cells,
        )


def _at_or_below(wanted: Collection[str], modules: Collection[str]) -> list[str]:
    """``modules`` and the modules of ``wanted`` inside one of them (sorted): a reference to a
    layer below a retired package is a reference to what was retired."""
    packages = tuple(f"{module}." for module in modules)
    return sorted({*modules, *(m for m in wanted if m.startswith(packages))})
