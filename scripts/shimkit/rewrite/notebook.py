"""``rewrite_notebook``: the code cells of an ``.ipynb`` (nbformat 4), one ``rewrite_source`` each.

Cells are read exactly as the analysis reads them (``shimkit.domain.notebook_format`` and
``shimkit.domain.ipython_cells``): IPython syntax is masked before the rewrite and put back byte
for byte after it; a cell magic whose body is Python (``%%time``, ``%%capture out``, ...) has its
body rewritten; any other cell magic cell (``%%bash``, ...) is left alone. Errors name the cell by
the index the inventory uses. The JSON is re-serialised only when a cell changed, with the
indentation, key order, ``ensure_ascii=False`` and final newline of the original; each ``source``
keeps its shape (list of lines or one string); outputs are never touched.
"""

from __future__ import annotations

import json
import re

from shimkit.domain.errors import doing
from shimkit.domain.ipython_cells import CellKind, MaskedLineLost, read_cell
from shimkit.domain.model import Moves
from shimkit.domain.notebook_format import NotANotebook, read_notebook

from .errors import RewriteError
from .source import rewrite_source

_LINES = re.compile(r"[^\n]*\n|[^\n]+")  # as nbformat stores a source: split after each \n


def _indent_of(text: str) -> int | str | None:
    match = re.search(r"^\{\r?\n([ \t]+)\"", text)
    if match is None:
        return None
    whitespace = match.group(1)
    return len(whitespace) if set(whitespace) == {" "} else whitespace


def rewrite_notebook(text: str, path: str, moves: Moves) -> str:
    """The notebook ``text`` with every code cell rewritten; ``text`` itself if nothing changed."""
    try:
        notebook = read_notebook(text)
    except NotANotebook as error:
        raise RewriteError(path, error.line, error.reason) from error
    changed = False
    for code_cell in notebook.code_cells:
        reading = read_cell(code_cell.source)
        if reading.kind is CellKind.FOREIGN_CELL_MAGIC:
            continue
        where = f"cell {code_cell.index}"
        try:
            with doing("rewriting", path, code_cell.index, (RewriteError, MaskedLineLost)):
                outcome = rewrite_source(reading.python, f"{path}[{where}]", moves, None, False)
                if not outcome.changed:
                    continue
                new = reading.restore(outcome.text)
        except RewriteError as error:
            raise RewriteError(path, error.line, f"{where}: {error.message}") from error
        except MaskedLineLost as error:
            message = f"{where}: the rewrite moved IPython syntax ({error})"
            raise RewriteError(path, 1, message) from error
        cell = notebook.document["cells"][code_cell.index]
        shaped_as_lines = isinstance(cell.get("source"), list)
        cell["source"] = _LINES.findall(new) if shaped_as_lines else new
        changed = True
    if not changed:
        return text
    dumped = json.dumps(notebook.document, indent=_indent_of(text), ensure_ascii=False)
    newline = "\r\n" if "\r\n" in text else "\n"
    if newline != "\n":
        dumped = dumped.replace("\n", newline)
    return dumped + (newline if text.endswith(("\n", "\r\n")) else "")
