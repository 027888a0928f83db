"""read_cell: which lines of a notebook cell IPython runs as Python, and getting the rest back."""

from __future__ import annotations

import ast
import re

import pytest
from shimkit.domain.ipython_cells import CellKind, MaskedLineLost, read_cell

IMPORT = "from compat.old import helper"


def masked_lines(source: str) -> list[int]:
    """1-based numbers of the lines of ``source`` that the reading does not keep as they are."""
    reading = read_cell(source)
    kept = reading.python.splitlines()
    return [n for n, line in enumerate(source.splitlines(), 1) if kept[n - 1] != line]


@pytest.mark.parametrize(
    ("source", "masked"),
    [
        pytest.param(
            "%matplotlib inline\n%time f()\n%load_ext x\n" + IMPORT, [1, 2, 3], id="line-magics"
        ),
        pytest.param("!pip install x\n!!ls\n" + IMPORT, [1, 2], id="shell"),
        pytest.param(
            "x = !ls\nfiles = %sx ls\na, b = !cmd\n" + IMPORT, [1, 2, 3], id="assignments"
        ),
        pytest.param(
            "obj?\n?obj\nobj??\n%pinfo obj\nos.path?\n" + IMPORT, [1, 2, 3, 4, 5], id="help"
        ),
        pytest.param(
            "!pip install \\\n    mlflow \\\n    rich\n" + IMPORT, [1, 2, 3], id="continued"
        ),
        pytest.param("x = !ls \\\n  -la\n" + IMPORT, [1, 2], id="continued-assignment"),
        pytest.param("if x:\n    %time f()\nelse:\n    !ls\n" + IMPORT, [2, 4], id="in-blocks"),
        pytest.param("# setup\n\n%load_ext x\n" + IMPORT, [3], id="after-comments"),
        pytest.param("x = %time f()\ny = 5 % 3\nz: int = %who_ls\n", [1, 3], id="magic-value"),
        pytest.param("print(x); y?\n", [1], id="help-ends-the-line"),
        pytest.param("(a,\n b) = %foo\n" + IMPORT, [1, 2], id="multi-line-target"),
    ],
)
def test_ipython_syntax_is_masked_and_python_is_kept(source: str, masked: list[int]) -> None:
    reading = read_cell(source)
    assert reading.kind is CellKind.PYTHON
    assert masked_lines(source) == masked
    assert len(reading.python.splitlines()) == len(source.splitlines())
    ast.parse(reading.python)
    assert reading.restore(reading.python) == source


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("s = '''\n%not_a_magic\n!nor_shell\n'''\n", id="in-a-string"),
        pytest.param("d = {\n    'a': 1,\n}\nx = (1 %\n  2)\n", id="in-brackets"),
        pytest.param(
            "print('what?')  # really?\nx = a == b\ny = 5 % 3\n", id="in-strings-comments"
        ),
        pytest.param("f(x=1)\nx = y != z\nn //= 2\nm %= 3\n", id="operators"),
    ],
)
def test_python_that_only_looks_like_ipython_is_left_alone(source: str) -> None:
    reading = read_cell(source)
    assert reading.python == source
    assert reading.placeholders == {}


def test_a_help_line_that_is_not_a_name_is_left_for_python_to_reject() -> None:
    # IPython's help syntax needs a name before the "?": "f(x)?" stays and does not parse
    assert masked_lines("f(x)?\nobj?  # comment\n") == []


@pytest.mark.parametrize(
    ("source", "magic", "body_line"),
    [
        ("%%time\n" + IMPORT + "\n%time helper()\n", "time", 2),
        ("%%capture out\n!pip install x\n" + IMPORT + "\n", "capture", 3),
        ("%%timeit -n 10\n" + IMPORT + "\n", "timeit", 2),
        ("%%prun -s cumulative\n" + IMPORT + "\n", "prun", 2),
        ("\n\n%%time\n" + IMPORT + "\n", "time", 4),
        ("%%time\n%%capture out\n" + IMPORT + "\n", "time", 3),
    ],
)
def test_the_body_of_a_python_cell_magic_is_python(source: str, magic: str, body_line: int) -> None:
    reading = read_cell(source)
    assert (reading.kind, reading.magic) == (CellKind.PYTHON_CELL_MAGIC, magic)
    tree = ast.parse(reading.python)
    imports = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    assert imports == [body_line]
    assert reading.restore(reading.python) == source


@pytest.mark.parametrize(
    ("source", "magic"),
    [
        ("%%bash\n" + IMPORT + "\n", "bash"),
        ("%%writefile helper.py\n" + IMPORT + "\n", "writefile"),
        ("%%html\n<b>hi</b>\n", "html"),
        ("%%sql\nSELECT 1\n", "sql"),
        ("%%javascript\nalert(1)\n", "javascript"),
        ("%%time\n%%bash\nls\n", "bash"),
    ],
)
def test_any_other_cell_magic_makes_the_cell_foreign(source: str, magic: str) -> None:
    reading = read_cell(source)
    assert (reading.kind, reading.magic) == (CellKind.FOREIGN_CELL_MAGIC, magic)
    assert not [n for n in ast.walk(ast.parse(reading.python)) if isinstance(n, ast.stmt)]
    assert reading.restore(reading.python) == source


def test_a_cell_magic_help_request_is_help_not_a_cell_magic() -> None:
    reading = read_cell("%%time?\n" + IMPORT + "\n")
    assert reading.kind is CellKind.PYTHON
    assert masked_lines("%%time?\n" + IMPORT + "\n") == [1]


def test_restore_keeps_every_masked_byte_and_line_ending_around_a_rewrite() -> None:
    source = "%env A=1\r\n  \t!echo 'it''s' \\\r\nx = !ls   \n" + IMPORT + "\n"
    reading = read_cell(source)
    rewritten = reading.python.replace("compat.old", "lib.core")
    assert reading.restore(rewritten) == source.replace("compat.old", "lib.core")


def test_a_cell_that_already_holds_the_marker_gets_another_one() -> None:
    source = "# shimkit-ipython-0\n%time f()\n"
    reading = read_cell(source)
    assert reading.python.splitlines()[0] == "# shimkit-ipython-0"
    assert reading.restore(reading.python) == source


def test_restore_refuses_text_that_lost_or_doubled_a_masked_line() -> None:
    reading = read_cell("%time f()\n" + IMPORT + "\n")
    placeholder = reading.python.splitlines()[0]
    with pytest.raises(MaskedLineLost, match=re.escape("'%time f()' was lost")):
        reading.restore(IMPORT + "\n")
    with pytest.raises(MaskedLineLost, match="twice"):
        reading.restore(f"{placeholder}\n{placeholder}\n")
