"""One static look at a repository: its files, shim layers, chains and references."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from shimkit.analysis.codebase import Codebase
from shimkit.analysis.import_graph import ImportGraph, import_graph
from shimkit.analysis.namespace import ModuleIndex
from shimkit.analysis.reexports import shim_layer
from shimkit.domain.model import Definition, Inventory, Resolution, ShimLayer


@dataclass(frozen=True)
class Analysis:
    codebase: Codebase
    inventory: Inventory
    resolver: Callable[[str, str], Definition | None]

    @cached_property
    def imports(self) -> ImportGraph:
        """The static import graph of the scanned tree (built on first use)."""
        return import_graph(self.codebase)

    @cached_property
    def index(self) -> ModuleIndex:
        """What each module binds, and chains of names (built on first use)."""
        return ModuleIndex(self.codebase)

    def shim(self, module: str) -> ShimLayer | None:
        return next((s for s in self.inventory.shims if s.module == module), None)

    def layer(self, module: str) -> ShimLayer | None:
        """``module`` described as a re-export layer even where it is not one (an empty package
        ``__init__``, a module with code of its own); None when it is not in the tree or does
        not parse."""
        return self.shim(module) or shim_layer(self.codebase, module, self.index)

    def resolution(self, module: str, name: str) -> Resolution:
        """How ``module.name`` reaches its definition, or why it does not."""
        return self.index.resolution(module, name)

    def public_names(self, module: str) -> tuple[str, ...]:
        """What ``from module import *`` binds that ``module`` passes on (not the modules it
        imports from outside the tree for its own use, such as ``warnings``)."""
        return self.index.public_names(module, passed_on=True)

    def definition(self, shim: str, name: str) -> Definition | None:
        for resolution in self.inventory.resolutions:
            if resolution.shim == shim and resolution.name == name and resolution.definition:
                return resolution.definition
        return self.resolver(shim, name)
