"""What ``scan`` returns: the parsed files of a repository, looked up by path or module."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

from shimkit.domain.ipython_cells import CellKind, IPythonCell
from shimkit.domain.model import Area, ParseFailure, SkippedCell

from .modules import package_prefixes


@dataclass(frozen=True)
class NotebookCell:
    """One code cell of a notebook, read the IPython way (``shimkit.domain.ipython_cells``).

    ``tree`` is None when the masked text does not parse, and for a cell magic whose body is not
    Python (``skipped_magic``), which is never parsed.
    """

    index: int  # position among all cells of the notebook (markdown cells count)
    reading: IPythonCell
    tree: ast.Module | None

    @property
    def source(self) -> str:
        """The cell's text as stored."""
        return self.reading.source

    @property
    def text(self) -> str:
        """The Python IPython runs: ``source`` with IPython syntax masked, same line numbers."""
        return self.reading.python

    @property
    def skipped_magic(self) -> str | None:
        """The cell magic that makes this cell not Python (``bash`` for ``%%bash``), if any."""
        foreign = self.reading.kind is CellKind.FOREIGN_CELL_MAGIC
        return self.reading.magic if foreign else None


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

    @property
    def skipped_cells(self) -> tuple[SkippedCell, ...]:
        """The notebook cells left alone: cell magics whose body is not Python."""
        return tuple(
            SkippedCell(f.path, c.index, c.skipped_magic)
            for f in self.files
            for c in f.cells
            if c.skipped_magic is not None
        )
