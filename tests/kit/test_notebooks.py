"""Notebooks end to end: step 1's analysis and the rewrite read every cell the same way.

Each test writes a real tree (a shim, the module it re-exports from, a notebook) to a temporary
directory, takes the inventory as step 1 does, and rewrites the notebook as steps 2-4 do.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from shimkit.analysis import (
    build_inventory,
    inventory_from_json,
    inventory_to_json,
    render_markdown,
)
from shimkit.cli.reporter import RichReporter
from shimkit.domain.model import Inventory, Moves, SkippedCell
from shimkit.rewrite import RewriteError, rewrite_notebook

SHIM = "compat.old"
OLD = f"from {SHIM} import helper"
NEW = "from lib.core import helper"
MOVES = Moves(names={(SHIM, "helper"): "lib.core"}, modules={SHIM: "lib.core"})
NOTEBOOK = "notebooks/explore.ipynb"
OUTPUT = {"name": "stdout", "output_type": "stream", "text": [f"{OLD}\n", "ü ok\n"]}


def code(source: str, cell_id: str = "c") -> dict[str, object]:
    return {
        "cell_type": "code",
        "execution_count": 3,
        "id": cell_id,
        "metadata": {"tags": ["keep"], "collapsed": False},
        "outputs": [OUTPUT],
        "source": source.splitlines(keepends=True),
    }


def notebook_text(cells: list[dict[str, object]]) -> str:
    document = {
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3 — ü"}},
        "nbformat_minor": 5,
        "cells": cells,
        "nbformat": 4,
    }
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"


def tree(root: Path, notebook: str) -> Path:
    files = {
        "src/lib/__init__.py": "",
        "src/lib/core.py": "def helper():\n    return 1\n",
        "src/compat/__init__.py": "",
        "src/compat/old.py": "from lib.core import helper\n\n__all__ = ['helper']\n",
        NOTEBOOK: notebook,
    }
    for rel, content in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(content, encoding="utf-8")
    return root


def inventory(root: Path) -> Inventory:
    return build_inventory(root, shim_modules=[SHIM])


MARKDOWN: dict[str, object] = {
    "cell_type": "markdown",
    "id": "m",
    "metadata": {},
    "source": [f"{OLD}?\n"],
}

FORMS = {
    "line-magics": f"%matplotlib inline\n%time f()\n%load_ext autoreload\n{OLD}\nhelper()",
    "shell": f"!pip install x\n!!ls\n{OLD}\n",
    "assignments": f"x = !ls\nfiles = %sx ls\na, b = !cmd\n{OLD}\nhelper()\n",
    "help": f"obj?\n?obj\nobj??\n%pinfo obj\nhelper?\n{OLD}\n",
    "continuation": f"!pip install \\\n    mlflow\n{OLD}\n",
    "indented": f"if True:\n    %time f()\n    {OLD}\n    !ls\n",
    "leading-comments": f"# set up\n\n%load_ext autoreload\n{OLD}\n",
    "cell-magic-time": f"%%time\n{OLD}\n%time helper()\n",
    "cell-magic-capture": f"%%capture out\n!pip install x\n{OLD}\n",
    "cell-magic-timeit-options": f"%%timeit -n 10\n{OLD}\nhelper()\n",
}


@pytest.mark.parametrize("form", sorted(FORMS))
def test_the_rewrite_changes_exactly_the_line_step1_found(tmp_path: Path, form: str) -> None:
    source = FORMS[form]
    cells = [MARKDOWN, code("x = 1\n", "before"), code(source, "form")]
    original = notebook_text(cells)
    root = tree(tmp_path, original)

    found = [r for r in inventory(root).references if r.path == NOTEBOOK]
    import_line = source.splitlines().index(next(ln for ln in source.splitlines() if OLD in ln))
    assert [(r.cell, r.line, r.names) for r in found] == [(2, import_line + 1, ("helper",))]

    rewritten = rewrite_notebook(original, NOTEBOOK, MOVES)
    assert rewritten == notebook_text(
        [MARKDOWN, code("x = 1\n", "before"), code(source.replace(OLD, NEW), "form")]
    )


def test_a_foreign_cell_magic_is_left_alone_and_listed_as_skipped(tmp_path: Path) -> None:
    bash = f"%%bash\n{OLD}\necho done\n"
    original = notebook_text([code(bash, "shell"), MARKDOWN, code(f"{OLD}\n", "py")])
    root = tree(tmp_path, original)

    inv = inventory(root)
    assert [(r.cell, r.line) for r in inv.references if r.path == NOTEBOOK] == [(2, 1)]
    assert inv.skipped_cells == (SkippedCell(NOTEBOOK, 0, "bash"),)
    assert inv.parse_failures == ()
    rewritten = rewrite_notebook(original, NOTEBOOK, MOVES)
    assert rewritten == notebook_text([code(bash, "shell"), MARKDOWN, code(f"{NEW}\n", "py")])


def test_skipped_cells_are_in_the_json_markdown_and_console_inventory(tmp_path: Path) -> None:
    root = tree(tmp_path, notebook_text([MARKDOWN, code("%%writefile out.py\nx = 1\n")]))
    inv = inventory(root)
    assert inv.skipped_cells == (SkippedCell(NOTEBOOK, 1, "writefile"),)

    data = json.loads(json.dumps(inventory_to_json(inv)))
    assert data["skipped_cells"] == [{"path": NOTEBOOK, "cell": 1, "magic": "writefile"}]
    assert inventory_from_json(data) == inv
    assert f"- `{NOTEBOOK}` (cell 1): `%%writefile`" in render_markdown(inv)
    console = io.StringIO()
    RichReporter(out=console).inventory(inv)
    assert NOTEBOOK in console.getvalue() and "%%writefile" in console.getvalue()


def test_a_cell_that_does_not_parse_blocks_the_rewrite_of_what_it_names(tmp_path: Path) -> None:
    """The analysis reports the cell, and since its text names the moved module, the run stops
    there: no rewrite ever sees a notebook with a cell whose references are unknown."""
    broken = f"{OLD}\nresult = f(x)?\n"  # "?" after a call is not IPython help: not Python either
    original = notebook_text([MARKDOWN, code(f"{OLD}\n", "fine"), code(broken, "broken")])
    root = tree(tmp_path, original)

    failures = inventory(root).parse_failures
    assert [(f.path, f.line) for f in failures] == [(NOTEBOOK, 2)]
    assert failures[0].message.startswith("cell 2: ")
    assert f"names {SHIM}" in failures[0].blocks


@pytest.mark.parametrize(
    ("content", "line", "reason"),
    [
        pytest.param(b"-NoNewline\n", 1, "not a notebook: not JSON", id="powershell-leftover"),
        pytest.param(b"", 1, "not a notebook: the file is empty", id="empty"),
        pytest.param(b"\n\n  \n", 1, "not a notebook: the file is empty", id="blank"),
        pytest.param(b'{"cells": [\n  {"x": 1},\n', 3, "not a notebook: not JSON", id="truncated"),
        pytest.param(b"[1, 2]", 1, "the JSON document is a list", id="a-list"),
        pytest.param(b'{"metadata": {}}', 1, 'has no "cells"', id="no-cells"),
        pytest.param(b'{"cells": {}}', 1, '"cells" is an object, not a list', id="cells-object"),
        pytest.param(b'{"cells": [3]}', 1, "cell 0 is a number", id="cell-number"),
        pytest.param(
            b'{"cells": [{"cell_type": "code", "source": 7}]}',
            1,
            "the source of cell 0 is not text",
            id="source-number",
        ),
        pytest.param(b'{"worksheets": [], "nbformat": 3}', 1, "nbformat 3", id="nbformat-3"),
    ],
)
def test_a_file_that_is_not_a_notebook_is_a_parse_failure_not_a_crash(
    tmp_path: Path, content: bytes, line: int, reason: str
) -> None:
    root = tree(tmp_path, notebook_text([code(f"{OLD}\n")]))
    (root / "notebooks/odd.ipynb").write_bytes(content)

    inv = inventory(root)
    failures = [f for f in inv.parse_failures if f.path == "notebooks/odd.ipynb"]
    assert len(failures) == 1
    assert failures[0].line == line
    assert reason in failures[0].message
    assert [r.path for r in inv.references] == [NOTEBOOK]  # the other files are still analysed
    with pytest.raises(RewriteError, match="notebook"):
        rewrite_notebook(content.decode(), "notebooks/odd.ipynb", MOVES)
