"""What ``scan`` returns: the parsed files of a repository, looked up by path or module."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

from shimkit.domain.model import Area, ParseFailure

from .modules import package_prefixes


@dataclass(frozen=True)
class NotebookCell:
    """One code cell of a notebook.

    ``source`` is the cell's text as stored; ``text`` the same text with IPython magics and shell
    escapes masked (each such line becomes ``pass`` at its indentation, so line numbers hold);
    ``tree`` is None when the masked text still does not parse.
    """

    index: int  # position among all cells of the notebook (markdown cells count)
    source: str
    text: str
    tree: ast.Module | None


@dataclass(frozen=True)
class SourceFile:
    """A scanned file. ``tree`` is None for notebooks (see ``cells``) and for unparsable files."""

    path: str  # POSIX, relative to the root
    text: str  # exact decoded text (newlines untouched); for notebooks the JSON document
    tree: ast.Module | None
    module: str | None  # dotted module name, only for ``.py`` files under ``src``
    is_package: bool  # an ``__init__.py``
    area: Area
    encoding: str = "utf-8"  # as detected per PEP 263 (write back with it)
    cells: tuple[NotebookCell, ...] = ()

    @property
    def is_notebook(self) -> bool:
        return self.path.endswith(".ipynb")

    def trees(self) -> tuple[tuple[int | None, ast.Module, str], ...]:
        """``(cell index or None, tree, text)`` for every parsed unit of the file."""
        if self.is_notebook:
            return tuple((c.index, c.tree, c.source) for c in self.cells if c.tree is not None)
        if self.tree is None:
            return ()
        return ((None, self.tree, self.text),)


@dataclass(frozen=True)
class Codebase:
    """The scanned repository. Files that could not be decoded are only in ``parse_failures``;
    files that decode but do not parse are in both (with ``tree=None``)."""

    root: Path
    src: str
    files: tuple[SourceFile, ...]
    parse_failures: tuple[ParseFailure, ...] = ()
    _by_module: dict[str, SourceFile] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )
    _by_path: dict[str, SourceFile] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )
    _packages: frozenset[str] = field(init=False, repr=False, compare=False, default=frozenset())

    def __post_init__(self) -> None:
        for f in self.files:
            self._by_path[f.path] = f
            if f.module is not None:
                self._by_module.setdefault(f.module, f)
        object.__setattr__(self, "_packages", package_prefixes(frozenset(self._by_module)))

    @property
    def modules(self) -> tuple[str, ...]:
        """Every module under ``src`` (sorted), parsable or not."""
        return tuple(sorted(self._by_module))

    def module(self, name: str) -> SourceFile | None:
        return self._by_module.get(name)

    def file(self, path: str) -> SourceFile | None:
        return self._by_path.get(path)

    def has_module(self, name: str) -> bool:
        """A module file of the tree."""
        return name in self._by_module

    def in_tree(self, name: str) -> bool:
        """A module or package (namespace packages included) of the analysed tree."""
        return name in self._packages
