"""One static look at a repository: its files, shim layers, chains and references."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from shimkit.analysis import Codebase, ImportGraph, import_graph, inventory_of, make_resolver, scan
from shimkit.domain.errors import KitError
from shimkit.domain.model import Definition, Inventory, ShimLayer
from shimkit.domain.plan import Plan


@dataclass(frozen=True)
class Workspace:
    """Where a run works: the repository root, its import root and the plan it carries out."""

    root: Path
    src: str
    plan: Plan

    def check(self) -> None:
        if not self.root.is_dir():
            raise KitError(f"root {self.root} is not a directory")
        if not (self.root / self.src).is_dir():
            raise KitError(f"no source directory {self.src!r} under {self.root}")


@dataclass(frozen=True)
class Analysis:
    codebase: Codebase
    inventory: Inventory
    resolver: Callable[[str, str], Definition | None]

    @cached_property
    def imports(self) -> ImportGraph:
        """The static import graph of the scanned tree (built on first use)."""
        return import_graph(self.codebase)

    def shim(self, module: str) -> ShimLayer | None:
        return next((s for s in self.inventory.shims if s.module == module), None)

    def definition(self, shim: str, name: str) -> Definition | None:
        for resolution in self.inventory.resolutions:
            if resolution.shim == shim and resolution.name == name and resolution.definition:
                return resolution.definition
        return self.resolver(shim, name)


def analyse(workspace: Workspace, extra_shims: Collection[str] = ()) -> Analysis:
    """Scan the repository: every re-export layer, and references to them, to the plan's shims
    (deleted ones included) and to any ``extra_shims``."""
    workspace.check()
    codebase = scan(workspace.root, workspace.src, exclude=workspace.plan.exclude)
    inventory = inventory_of(codebase, also_referenced={*workspace.plan.shims, *extra_shims})
    return Analysis(codebase=codebase, inventory=inventory, resolver=make_resolver(codebase))


def require_parsable(analysis: Analysis) -> None:
    """Refuse to rewrite a tree with files that do not parse: their references are unknown."""
    failures = analysis.inventory.parse_failures
    if failures:
        first = failures[0]
        more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
        raise KitError(
            f"{first.path}:{first.line} does not parse ({first.message}){more}; "
            "fix it first: neither import-linter nor the rewrite can see through it"
        )
