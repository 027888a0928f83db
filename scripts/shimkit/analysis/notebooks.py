"""Read an ``.ipynb`` file for analysis: each code cell read the IPython way, then parsed."""

from __future__ import annotations

import ast

from shimkit.domain.ipython_cells import CellKind, read_cell
from shimkit.domain.model import Area, ParseFailure
from shimkit.domain.notebook_format import NotANotebook, read_notebook

from .codebase import NotebookCell, SourceFile


def read_notebook_file(
    rel: str, data: bytes, area: Area
) -> tuple[SourceFile | None, list[ParseFailure]]:
    """The notebook at ``rel`` (its bytes ``data``); ``(None, [failure])`` when it is not one.

    A code cell that does not parse is a failure at its line (relative to the cell); a cell magic
    whose body is not Python is kept unparsed (``NotebookCell.skipped_magic``).
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        return None, [ParseFailure(rel, data[: e.start].count(b"\n") + 1, f"cannot decode: {e}")]
    try:
        notebook = read_notebook(text)
    except NotANotebook as e:
        return None, [ParseFailure(rel, e.line, e.reason)]
    cells: list[NotebookCell] = []
    failures: list[ParseFailure] = []
    for code_cell in notebook.code_cells:
        index, reading = code_cell.index, read_cell(code_cell.source)
        tree: ast.Module | None = None
        if reading.kind is not CellKind.FOREIGN_CELL_MAGIC:
            try:
                tree = ast.parse(reading.python, filename=f"{rel}#cell{index}")
            except SyntaxError as e:
                failures.append(ParseFailure(rel, e.lineno or 1, f"cell {index}: {e.msg}"))
            except ValueError as e:  # null bytes
                failures.append(ParseFailure(rel, 1, f"cell {index}: {e}"))
        cells.append(NotebookCell(index=index, reading=reading, tree=tree))
    source_file = SourceFile(
        path=rel,
        text=text,
        tree=None,
        module=None,
        is_package=False,
        area=area,
        cells=tuple(cells),
    )
    return source_file, failures
