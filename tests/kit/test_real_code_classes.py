"""Failure classes found on real code the kit was not built against (issue 15), each on a small
example of its own, through ``retire_shims.py`` as a user runs it on a real git repository.

Every tree here has one real module, ``inventory.stock``, and a deprecated layer in front of it,
``inventory.compat`` (or another layer the test names); the tests look at the exit status, the
output and the bytes of the files.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from kit_helpers import SCRIPTS, Repos, Run, files_under, run_in, run_retire, write_tree
from shimkit.analysis import ModuleIndex, find_references, scan
from shimkit.domain.model import Context, Moves
from shimkit.rewrite import rewrite_source
from shimkit.rewrite.regions import engine_regions, statement_starts

pytestmark = pytest.mark.slow

STOCK = '''\
"""Stock levels."""

_RESERVE = 3


def on_hand(item: str) -> int:
    return len(item) + _RESERVE
'''
COMPAT = """\
import warnings

from inventory.stock import on_hand

warnings.warn("inventory.compat is deprecated", DeprecationWarning, stacklevel=2)
"""
PYPROJECT = """\
[tool.pytest.ini_options]
pythonpath = ["src"]
"""


def repo(repos: Repos, name: str, files: dict[str, str]) -> Path:
    """A committed repository holding the ``inventory`` package and ``files``."""
    root = repos.make(None, name)
    base = {
        "pyproject.toml": PYPROJECT,
        "src/inventory/__init__.py": "",
        "src/inventory/stock.py": STOCK,
        "src/inventory/compat.py": COMPAT,
    }
    write_tree(root, {**base, **files})
    repos.commit_all(root, "a codebase with a deprecated layer")
    return root


def notebook(*cells: str) -> str:
    return json.dumps(
        {
            "cells": [
                {
                    "cell_type": "code",
                    "execution_count": None,
                    "metadata": {},
                    "outputs": [],
                    "source": cell.splitlines(keepends=True),
                }
                for cell in cells
            ],
            "metadata": {},
            "nbformat": 4,
            "nbformat_minor": 5,
        },
        indent=1,
    )


def assert_clean_run(run: Run) -> None:
    """Exit 0, verification passed, and no traceback anywhere in what the user reads."""
    assert run.returncode == 0, str(run)
    assert "Traceback" not in run.stdout + run.stderr, str(run)
    assert "verification passed" in run.stdout, str(run)


# -- a rewrite whose relevant text holds no code is no rewrite ---------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "# inventory.compat was retired\n",
        "\n# compat\n\n",
        "  # indented compat note\r\n",
        "",
    ],
)
def test_a_text_of_comments_only_is_no_rewrite(text: str) -> None:
    moves = Moves(
        names={("inventory.compat", "on_hand"): "inventory.stock"},
        modules={"inventory.compat": "inventory.stock"},
    )
    outcome = rewrite_source(text, "notes.py", moves, "notes", False)
    assert (outcome.text, outcome.engine) == (text, None)


def test_a_notebook_cell_naming_the_layer_only_in_comments_is_left_alone(repos: Repos) -> None:
    comments_only = "# we used to: from inventory.compat import on_hand\n# (compat is gone)"
    code = "from inventory.compat import on_hand\non_hand('bolt')"
    root = repo(
        repos,
        "comments",
        {
            "notebooks/reorder.ipynb": notebook(comments_only, code),
            "tests/test_stock.py": (
                "from inventory.compat import on_hand\n\n\n"
                "def test_on_hand() -> None:\n    assert on_hand('nut') == 6\n"
            ),
        },
    )
    run = run_retire(root, "--deprecated", "--write")
    assert_clean_run(run)
    cells = json.loads((root / "notebooks/reorder.ipynb").read_text(encoding="utf-8"))["cells"]
    assert "".join(cells[0]["source"]) == comments_only
    assert "".join(cells[1]["source"]) == code.replace("inventory.compat", "inventory.stock")
    assert not (root / "src/inventory/compat.py").exists()
    assert "src/inventory/compat.py" not in files_under(root)


# -- one rule decides what a string reference is, for the rewrite and the verification ---------

FORECAST_INIT = """\
import warnings

from inventory.stock import on_hand

warnings.warn("forecast is deprecated", DeprecationWarning, stacklevel=2)
"""
FORECAST_USER = """\
import importlib
from pathlib import Path

SETTINGS = Path("forecast.toml")
CACHE = "forecast.cache"


def lookup() -> object:
    module, _, name = "forecast.on_hand".rpartition(".")
    return getattr(importlib.import_module(module), name)
"""


def test_file_names_that_start_like_a_retired_package_are_not_references(repos: Repos) -> None:
    root = repo(
        repos,
        "strings",
        {
            "src/forecast/__init__.py": FORECAST_INIT,
            "src/inventory/planner.py": FORECAST_USER,
            "tests/test_planner.py": (
                "from inventory.planner import CACHE, SETTINGS, lookup\n\n\n"
                "def test_lookup() -> None:\n"
                "    assert lookup()('ab') == 5\n"
                "    assert (CACHE, SETTINGS.name) == ('forecast.cache', 'forecast.toml')\n"
            ),
        },
    )
    run = run_retire(root, "forecast", "--write")
    assert_clean_run(run)
    assert not (root / "src/forecast/__init__.py").exists()
    expected = FORECAST_USER.replace('"forecast.on_hand"', '"inventory.stock.on_hand"')
    assert (root / "src/inventory/planner.py").read_text(encoding="utf-8") == expected


STRINGS = """\
A = "forecast"
B = "forecast.on_hand"
C = "forecast.csv"
D = "forecast.warnings"
E = "forecast.on_hand.cache"
F = "forecasting.on_hand"
G = "forecast.importlib"
"""


def test_the_rewrite_changes_exactly_the_strings_the_analysis_counts(tmp_path: Path) -> None:
    layer = FORECAST_INIT + "import importlib\n"
    root = write_tree(
        tmp_path,
        {
            "src/inventory/__init__.py": "",
            "src/inventory/stock.py": STOCK,
            "src/forecast/__init__.py": layer,
            "src/inventory/names.py": STRINGS,
        },
    )
    moves = Moves(
        names={("forecast", "on_hand"): "inventory.stock"},
        modules={"forecast": "inventory.stock"},
    )
    new = rewrite_source(STRINGS, "src/inventory/names.py", moves, "inventory.names", False).text
    changed = {
        number
        for number, (old, now) in enumerate(
            zip(STRINGS.splitlines(), new.splitlines(), strict=True), start=1
        )
        if old != now
    }
    assert changed == {2}  # a plain word is no module path, "forecast.csv" no name of it
    before = scan(root, "src")
    counted = {r.line for r in find_references(before, {"forecast"}) if r.path.endswith("names.py")}
    assert counted == changed
    (root / "src/forecast/__init__.py").unlink()
    after = scan(root, "src")
    names = {"forecast": ModuleIndex(before).string_names("forecast")}
    gone = find_references(after, {"forecast"}, names_before=names)
    assert {r.line for r in gone if r.path.endswith("names.py")} == changed


# -- decorators count wherever a def or class is pruned or walked ------------------------------

PATCHED = """\
from unittest import mock


@mock.patch(
    "inventory.compat.on_hand",
    return_value=0,
)
def test_a_decorated_function(on_hand: mock.Mock) -> None:
    assert on_hand("x") == 0


class TestStock:
    @mock.patch("inventory.compat.on_hand")
    def test_a_decorated_method(self, on_hand: mock.Mock) -> None:
        assert on_hand is not None


@mock.patch("inventory.compat.on_hand", new=len)
class TestWholeClass:
    def test_in_a_decorated_class(self) -> None:
        assert len("ab") == 2
"""


def test_references_in_decorators_are_found_and_rewritten(repos: Repos) -> None:
    root = repo(repos, "decorators", {"tests/test_patched.py": PATCHED})
    run = run_retire(root, "--deprecated", "--write")
    assert_clean_run(run)
    assert "3 passed" in run.stdout, str(run)
    expected = PATCHED.replace("inventory.compat.on_hand", "inventory.stock.on_hand")
    assert (root / "tests/test_patched.py").read_text(encoding="utf-8") == expected


def test_a_decorated_statement_starts_at_its_first_decorator() -> None:
    text = "import os\n\n# why\n@first(\n    'a',\n)\n# note\n@second\nclass A:\n    pass\nB = 1\n"
    decorated = text.index("@first")
    assert statement_starts(text) == (0, decorated, text.index("B = 1"))
    regions = engine_regions(text, statement_starts(text), {"first"})
    assert regions.reduced == text[decorated : text.index("B = 1")]


# -- explicit private re-exports and submodule re-exports retire like any other name ------------

PRISTINE = {
    # the package passes its own submodule, and a name of it, on: planted, it takes the
    # submodule from the layer in front of it, and its importers take both from that layer
    "src/inventory/__init__.py": (
        "from inventory import stock\n"
        "from inventory.stock import on_hand\n\n"
        '__all__ = ["on_hand", "stock"]\n'
    ),
    "tests/test_facade.py": (
        "from inventory import on_hand\n\n\n"
        "def test_the_package_passes_on_hand_on() -> None:\n"
        "    assert on_hand('') == 3\n"
    ),
    "src/inventory/orders.py": (
        "from inventory import stock\n"
        "from inventory.stock import _RESERVE, on_hand\n\n\n"
        "def short(item: str) -> bool:\n"
        "    return on_hand(item) - _RESERVE < stock.on_hand('')\n"
    ),
    "tests/test_orders.py": (
        "from inventory import stock\n"
        "from inventory.orders import short\n"
        "from inventory.stock import _RESERVE\n\n\n"
        "def test_short() -> None:\n"
        "    assert short('ab') and stock.on_hand('') == _RESERVE\n"
    ),
}
# every ``from M import ...`` of the pristine tree pointed at ``M_compat``, which passes on
# exactly those names
PLANTED_LAYERS = {
    "src/inventory_compat.py": "from inventory import stock\n",
    "src/inventory/stock_compat.py": "from inventory.stock import _RESERVE, on_hand\n",
}


def _planted(text: str) -> str:
    return text.replace("from inventory import", "from inventory_compat import").replace(
        "from inventory.stock import", "from inventory.stock_compat import"
    )


@pytest.mark.parametrize("package_passes_it_on", [True, False])
def test_planted_private_and_submodule_layers_retire_to_the_pristine_tree(
    repos: Repos, package_passes_it_on: bool
) -> None:
    files = dict(PRISTINE)
    if not package_passes_it_on:
        files["src/inventory/__init__.py"] = '"""Stock and orders."""\n'
        del files["tests/test_facade.py"]
    root = repo(repos, "planted", files)
    pristine = files_under(root)
    layers = dict(PLANTED_LAYERS)
    if package_passes_it_on:
        layers["src/inventory_compat.py"] = "from inventory import on_hand, stock\n"
    write_tree(root, {**{p: _planted(t) for p, t in files.items()}, **layers})
    repos.commit_all(root, "layers planted in front of inventory and inventory.stock")
    run = run_retire(root, "inventory_compat", "inventory.stock_compat", "--write")
    assert_clean_run(run)
    assert f"{len(files) - 2} passed" in run.stdout, str(run)
    after = files_under(root)
    changelog = after.pop("CHANGELOG.md").decode()
    assert after == pristine
    assert "`inventory_compat.stock` | `inventory.stock`" in changelog
    assert "`inventory.stock_compat._RESERVE` | `inventory.stock._RESERVE`" in changelog


# -- no traceback ever reaches a user -----------------------------------------------------------

# A fault of the kit cannot be had from real input once it is known (it is fixed), so this
# launcher plants one: it replaces one function of the engine with one that raises, then runs the
# real script as ``python script.py`` would.
LAUNCHER = """\
import importlib, runpy, sys
from pathlib import Path

module, attribute, script = sys.argv[1:4]
sys.path.insert(0, str(Path(script).parent))
owner = importlib.import_module(module)
*path, name = attribute.split(".")
for part in path:
    owner = getattr(owner, part)


def fault(*args, **kwargs):
    raise ZeroDivisionError("a planted fault")


setattr(owner, name, fault)
sys.argv = [script, *sys.argv[4:]]
runpy.run_path(script, run_name="__main__")
"""
REFERENCES = ("shimkit.analysis.references", "_Finder.run")


@pytest.mark.parametrize(
    ("script", "fault", "args", "where"),
    [
        (
            "retire_shims.py",
            ("shimkit.rewrite.source", "plan_edits"),
            ("--deprecated", "--write"),
            "rewriting notebooks/reorder.ipynb (cell 1)",
        ),
        ("step1_inventory.py", REFERENCES, (), "finding references notebooks/reorder.ipynb"),
        ("step3_remove_deprecated.py", REFERENCES, ("--write",), "finding references"),
        ("migrate.py", REFERENCES, ("--write",), "finding references notebooks/reorder.ipynb"),
        (
            "rollback.py",
            ("shimkit.use_cases.rollback", "commits_to_revert"),
            (),
            "running rollback.py",
        ),
    ],
)
def test_an_internal_error_is_one_line_naming_where_with_the_trace_in_a_log(
    repos: Repos,
    tmp_path: Path,
    script: str,
    fault: tuple[str, str],
    args: tuple[str, ...],
    where: str,
) -> None:
    root = repo(
        repos,
        "fault",
        {
            "notebooks/reorder.ipynb": notebook("x = 1", "from inventory.compat import on_hand"),
            "tests/test_stock.py": "from inventory.compat import on_hand\n",
            # the plan's own deprecated layer: step 3 looks for references to it only
            "tests/test_tracking.py": "from orchestration.mlflow_utils import log_metric\n",
        },
    )
    before = files_under(root)
    launcher = tmp_path / "launch.py"
    launcher.write_text(LAUNCHER, encoding="utf-8")
    command = [sys.executable, str(launcher), *fault, str(SCRIPTS / script), "--root", str(root)]
    run = run_in(root, [*command, *args])
    assert run.returncode == 2, str(run)
    assert "Traceback" not in run.stdout + run.stderr, str(run)
    lines = run.stderr.strip().splitlines()
    error = next(line for line in lines if line.startswith("error: "))
    assert lines[-1] == error, str(run)  # the one line (a warning may come before it)
    assert error.startswith(f"error: internal error while {where}"), error
    assert "ZeroDivisionError: a planted fault; your tree is left as it was" in error
    log = Path(error.rpartition("full trace in ")[2])
    trace = log.read_text(encoding="utf-8")
    log.unlink()
    assert trace.startswith("Traceback") and "ZeroDivisionError: a planted fault" in trace
    assert files_under(root) == before


# -- code examples in docstrings are rewritten where they parse, and listed where they do not ---

DOCUMENTED = '''\
"""Reorder points.

Examples::

    >>> from inventory.compat import on_hand
    >>> on_hand("ab")
    5
"""


def reorder(item: str) -> bool:
    """Whether to reorder ``item``.

    >>> import inventory.compat
    >>> inventory.compat.on_hand(
    ...     "abc",
    ... )
    6
    """
    return len(item) < 2


def broken_example() -> None:
    """An example cut short in the docs.

    >>> from inventory.compat import (
    """
'''


def test_docstring_examples_are_rewritten_or_listed(repos: Repos) -> None:
    root = repo(repos, "docstrings", {"src/inventory/reorder.py": DOCUMENTED})
    run = run_retire(root, "--deprecated", "--write")
    assert_clean_run(run)
    expected = (
        DOCUMENTED.replace(
            ">>> from inventory.compat import on_hand", ">>> from inventory.stock import on_hand", 1
        )
        .replace(">>> import inventory.compat\n", ">>> import inventory.stock\n")
        .replace(">>> inventory.compat.on_hand(", ">>> inventory.stock.on_hand(")
    )
    assert (root / "src/inventory/reorder.py").read_text(encoding="utf-8") == expected
    listed = (
        "src/inventory/reorder.py:26: a docstring example names a moved module and does not parse"
    )
    assert listed in " ".join(run.stdout.split()) + " ".join(run.stderr.split()), str(run)


def test_the_analysis_finds_docstring_examples_at_their_lines(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path,
        {
            "src/inventory/__init__.py": "",
            "src/inventory/stock.py": STOCK,
            "src/inventory/compat.py": COMPAT,
            "src/inventory/reorder.py": DOCUMENTED,
        },
    )
    found = [
        (r.line, r.kind.value, r.names)
        for r in find_references(scan(root, "src"), {"inventory.compat"})
        if r.path == "src/inventory/reorder.py" and Context.DOCSTRING in r.contexts
    ]
    # the broken example (line 26) is not read: the rewrite lists it
    assert found == [(5, "from-import", ("on_hand",)), (14, "module-import", ("on_hand",))]
