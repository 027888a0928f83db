"""Modules outside the analysed tree that this interpreter could import (installed packages, the
standard library), read statically: their source is found on ``sys.path`` with
``importlib.machinery.PathFinder`` (which, unlike ``importlib.util.find_spec`` of a dotted name,
imports no parent package) and parsed; nothing of them is run.

A layer whose names come from such a module can then be followed there and retired like any
other; one whose source is found nowhere says so.
"""

from __future__ import annotations

import ast
import io
import os
import sys
import tokenize
from importlib.machinery import PathFinder
from pathlib import Path

from shimkit.domain.model import Area

from .codebase import SourceFile

__all__ = ["InstalledModules"]


class InstalledModules:
    """Static lookup of modules outside the tree at ``root``, on this interpreter's path less
    the tree itself (the tree's own modules are never looked up here)."""

    def __init__(self, root: Path, tree_packages: frozenset[str]) -> None:
        self._tree_packages = tree_packages
        self._path = _search_path(Path(root))
        self._found: dict[str, SourceFile | None] = {}
        self._locations: dict[str, list[str] | None] = {}

    def source(self, module: str) -> SourceFile | None:
        """The parsed source of ``module`` when it lies outside the tree and is a Python source
        file on the path; None otherwise (not found, a compiled extension, does not parse)."""
        if module.split(".", 1)[0] in self._tree_packages:
            return None
        if module not in self._found:
            self._found[module] = self._read(module)
        return self._found[module]

    def exists(self, module: str) -> bool:
        """Whether ``module`` can be found on the path at all (source or not)."""
        if module.split(".", 1)[0] in self._tree_packages:
            return False
        return self._spec_origin(module) is not None

    def _read(self, module: str) -> SourceFile | None:
        origin = self._spec_origin(module)
        if origin is None or not origin.endswith(".py"):
            return None
        try:
            data = Path(origin).read_bytes()
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
            decoded = data.decode(encoding)
            tree = ast.parse(decoded, filename=origin)
        except (OSError, SyntaxError, ValueError, LookupError):
            return None
        return SourceFile(
            path=origin,
            text=decoded,
            tree=tree,
            module=module,
            is_package=Path(origin).name == "__init__.py",
            area=Area.OTHER,
        )

    def _spec_origin(self, module: str) -> str | None:
        parent, _, _ = module.rpartition(".")
        search = self._path if not parent else self._submodule_locations(parent)
        if search is None:
            return None
        try:
            spec = PathFinder.find_spec(module, search)
        except (ImportError, ValueError, OSError):
            return None
        if spec is None:
            return None
        if spec.submodule_search_locations is not None:
            self._locations[module] = list(spec.submodule_search_locations)
        return spec.origin or "namespace"  # a namespace package has no file

    def _submodule_locations(self, package: str) -> list[str] | None:
        if package not in self._locations:
            self._locations[package] = None
            self._spec_origin(package)
        return self._locations[package]


def _search_path(root: Path) -> list[str]:
    """``sys.path`` without the entries inside the analysed tree (its own modules, the current
    directory when that lies in it)."""
    tree = root.resolve()
    kept: list[str] = []
    for entry in sys.path:
        where = Path(entry or os.getcwd()).resolve()
        if where == tree or where.is_relative_to(tree):
            continue
        kept.append(entry)
    return kept
