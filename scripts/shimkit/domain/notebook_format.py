"""Where the code of an ``.ipynb`` file is (nbformat 4): the code cells and their source text.

``read_notebook(text)`` accepts a document only if it is a notebook the engine can read, and
raises :class:`NotANotebook` (line and reason) for anything else: not JSON, an empty file, JSON
that is not an object, no ``cells`` list, a cell that is not an object or whose ``source`` is not
text. Analysis and rewrite both read notebooks through it, so they agree on what a cell is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


class NotANotebook(ValueError):
    """The text is not a notebook the engine can read; ``line`` is where reading stopped."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


@dataclass(frozen=True)
class CodeCell:
    index: int  # position among all cells (markdown cells count), as reports number cells
    source: str  # the cell's text: a list of lines joined, or the string as stored


@dataclass(frozen=True)
class Notebook:
    document: dict[str, Any]  # the parsed JSON (``document["cells"][cell.index]`` is a cell)
    code_cells: tuple[CodeCell, ...]


def read_notebook(text: str) -> Notebook:
    """The code cells of the notebook ``text``; :class:`NotANotebook` if it is not one."""
    if not text.strip():
        raise NotANotebook(1, "not a notebook: the file is empty")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise NotANotebook(
            error.lineno, f"not a notebook: not JSON ({error.msg}, column {error.colno})"
        ) from error
    except (ValueError, RecursionError) as error:  # an integer too long, nesting too deep
        raise NotANotebook(1, f"not a notebook: unreadable JSON ({error})") from error
    if not isinstance(document, dict):
        raise NotANotebook(
            1, f"not a notebook: the JSON document is {_a(document)}, not an object with cells"
        )
    cells = document.get("cells")
    if not isinstance(cells, list):
        raise NotANotebook(1, _no_cells(document))
    code_cells: list[CodeCell] = []
    for index, cell in enumerate(cells):
        if not isinstance(cell, dict):
            raise NotANotebook(1, f"not a notebook: cell {index} is {_a(cell)}, not an object")
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(line, str) for line in source):
            source = "".join(source)
        if not isinstance(source, str):
            raise NotANotebook(1, f"not a notebook: the source of cell {index} is not text")
        code_cells.append(CodeCell(index, source))
    return Notebook(document, tuple(code_cells))


def _no_cells(document: dict[str, Any]) -> str:
    if "cells" in document:
        return f'not a notebook: its "cells" is {_a(document["cells"])}, not a list'
    if "worksheets" in document:
        return 'an nbformat 3 notebook (cells under "worksheets"): only nbformat 4 is read'
    return 'not a notebook: the JSON object has no "cells"'


def _a(value: object) -> str:
    names = {list: "a list", str: "a string", dict: "an object", bool: "a boolean"}
    if value is None:
        return "null"
    return names.get(type(value), "a number")
