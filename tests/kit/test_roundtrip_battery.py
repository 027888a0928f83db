"""A sample of the round-trip battery (``tests/batteries/roundtrip.py``; the whole of it is
``tox -e roundtrip``): the planting it relies on, and a round trip over the running
interpreter's own ``Lib/`` (json, email), built at test time without the network."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from shimkit.domain.model import Moves
from shimkit.rewrite import rewrite_source

from tests.batteries.roundtrip import REGRESSIONS, Tree, main, mixed_copy
from tests.batteries.roundtrip_corpus import Package, commit, notebook_of
from tests.batteries.roundtrip_plant import plant_notebook, plant_text, shim_text

SOURCE = "pkg.mod"
DEFINED = frozenset({"make", "Kind", "_table"})
PRISTINE = """\
from typing import TYPE_CHECKING
from unittest import mock

import pkg.mod as m
from pkg.mod import make, _table
from .mod import Kind
from . import mod as not_planted
from pkg.mod import imported_elsewhere

if TYPE_CHECKING:
    from pkg.mod import Kind as K


def build():
    from pkg.mod import make as local_make
    importlib.import_module("pkg.mod")
    return local_make(m.Kind, m.make)


@mock.patch(
    "pkg.mod.make",
)
def test_build(fake):
    mock.patch("pkg.mod._table")
    mock.patch("pkg.mod.elsewhere")
    return "pkg.mod is a module"
"""


def test_planting_points_each_form_at_the_shim_and_leaves_the_rest() -> None:
    planted, what = plant_text(PRISTINE, SOURCE, DEFINED, "pkg.user", False)
    assert planted == PRISTINE.replace("import pkg.mod as m", "import pkg.mod_compat as m").replace(
        "from pkg.mod import make, _table", "from pkg.mod_compat import make, _table"
    ).replace("from .mod import Kind", "from .mod_compat import Kind").replace(
        "from pkg.mod import Kind as K", "from pkg.mod_compat import Kind as K"
    ).replace(
        "from pkg.mod import make as local_make", "from pkg.mod_compat import make as local_make"
    ).replace('import_module("pkg.mod")', 'import_module("pkg.mod_compat")').replace(
        '"pkg.mod.make"', '"pkg.mod_compat.make"'
    ).replace('"pkg.mod._table"', '"pkg.mod_compat._table"')
    assert what.forms == {
        "module import (alias)": 1,
        "from-import": 3,
        "relative from-import": 1,
        "TYPE_CHECKING": 1,
        "function-local": 3,
        "import_module string": 1,
        "decorator string": 1,
        "patch string": 1,
    }
    assert what.names == {"make", "Kind", "_table"}
    assert "from pkg.mod import Kind, _table, make" in shim_text(SOURCE, what.names)


def test_planting_a_notebook_changes_only_the_cells_lines_it_plants() -> None:
    notebook = notebook_of("import os\nfrom pkg.mod import make\n\nprint(make, os)\n")
    assert notebook is not None
    planted, what = plant_notebook(notebook, SOURCE, DEFINED)
    assert what.forms == {"notebook cell": 1}
    assert planted == notebook.replace(
        '"from pkg.mod import make"', '"from pkg.mod_compat import make"'
    )
    assert json.loads(planted)["cells"][2] == json.loads(notebook)["cells"][2]


@pytest.mark.slow
def test_the_stdlib_round_trip_is_exact_and_planted_regressions_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(
        ["--packages", "stdlib", "--cache", str(tmp_path / "cache"), "--work",
         str(tmp_path / "work"), "--shims", "2", "--regressions", "1"]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert "stdlib" in out and "round trip" in out
    assert status == 0, out
    every_kind = len(REGRESSIONS)
    assert "exact 1" in out and f"regressions refused {every_kind} of {every_kind}" in out, out


@pytest.mark.slow
def test_the_stdlib_mixed_round_trip_is_exact(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(
        ["--packages", "stdlib", "--mode", "mixed", "--cache", str(tmp_path / "cache"),
         "--work", str(tmp_path / "work"), "--shims", "2"]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert "mixed from-import" in out, out
    assert status == 0 and "exact 1" in out, out


def test_a_shadowing_parameter_is_planted_around_and_the_kit_gives_the_pristine_text_back() -> None:
    pristine = (
        "import pkg.mod as m\n\n"
        "def build():\n    return m.make(m.Kind)\n\n"
        "def render(m):\n    return m.label\n\n"
        "show = lambda m: m.title\n"
    )
    planted, what = plant_text(pristine, SOURCE, DEFINED, "pkg.user", False)
    assert planted == pristine.replace("import pkg.mod as m", "import pkg.mod_compat as m")
    assert what.forms == {"module import (alias)": 1, "shadowing parameter or local": 1}
    moves = Moves(modules={"pkg.mod_compat": SOURCE})
    assert rewrite_source(planted, "pkg/user.py", moves, "pkg.user", False).text == pristine


def test_the_mixed_planting_routes_no_importer_the_hosts_own_import_runs(tmp_path: Path) -> None:
    """``pkg.host`` imports ``pkg.inner`` at its top level: pointed at the host, ``inner`` would
    ask the half-imported host for ``shebang`` (a circular import no real layer has, as the
    planting once made in pygments). Only the leaf nothing imports is planted."""
    pristine = tmp_path / "pristine"
    files = {
        "pkg/__init__.py": "",
        "pkg/source.py": "def shebang() -> int:\n    return 1\n",
        "pkg/host.py": (
            "import pkg.inner\nimport pkg.source\n\n\n"
            "def use() -> int:\n    return pkg.source.shebang() + pkg.inner.VALUE\n"
        ),
        "pkg/inner.py": "from pkg.source import shebang\n\nVALUE = shebang()\n",
        "pkg/leaf.py": "from pkg.source import shebang\n\nLEAF = shebang()\n",
    }
    for path, text in files.items():
        (pristine / path).parent.mkdir(parents=True, exist_ok=True)
        (pristine / path).write_text(text, encoding="utf-8")
    tree = Tree(Package("fixture", "0", ".", "a host that imports an importer"), pristine)
    tree.pristine = commit(pristine, "pristine")
    root, hosts, _ = mixed_copy(tree, tmp_path / "planted", 1)
    assert hosts == ["pkg.host"]
    assert "from pkg.host import shebang" in (root / "pkg/leaf.py").read_text(encoding="utf-8")
    assert (root / "pkg/inner.py").read_text(encoding="utf-8") == files["pkg/inner.py"]
