"""The differential guard: with every speed shortcut of the analysis and the rewrite switched off
(``shimkit.domain.shortcuts``), retiring shims must find the same references, layers, import
graph and layers that stay, and write the same text, as with them on (and give no file that the
plan leaves to the rewrite when it is given every file). Run on the fixtures of the suite; and a
shortcut made wrong on purpose is caught."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest
import shimkit.analysis.references as references
from kit_helpers import Repos, build_legacy_repo, build_traps_repo, commit_all, write_tree
from shimkit.application.workspace import Workspace, analyse
from shimkit.domain import shortcuts
from shimkit.domain.model import Moves
from shimkit.domain.plan import Plan
from shimkit.rewrite import rewrite_source
from shimkit.use_cases.differential import differences

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
PLAIN = Plan(title="differential guard")


def every_layer(root: Path, src: str, plan: Plan) -> list[str]:
    return sorted(layer.module for layer in analyse(Workspace(root, src, plan)).inventory.shims)


def test_the_switch_is_one_variable_and_the_block_restores_it() -> None:
    assert shortcuts.enabled()
    with shortcuts.switched_off():
        assert not shortcuts.enabled()
        assert os.environ[shortcuts.VARIABLE] == "1"
    assert shortcuts.enabled()
    assert shortcuts.VARIABLE not in os.environ


def test_no_difference_on_the_legacy_tree_for_the_plans_shims(tmp_path: Path) -> None:
    from consolidation_plan import PLAN

    root = build_legacy_repo(tmp_path / "legacy")
    assert differences(Workspace(root, "src", PLAN), PLAN.retired) == []
    assert differences(Workspace(root, "src", PLAN), PLAN.shims) == []


@pytest.mark.parametrize("fixture", ["second", "deprecated_layers", "traps"])
def test_no_difference_on_the_fixtures_for_every_layer(
    repos: Repos, tmp_path: Path, fixture: str
) -> None:
    root = (
        build_traps_repo(tmp_path / "traps")
        if fixture == "traps"
        else repos.init(tmp_path / fixture, FIXTURES / fixture)
    )
    layers = every_layer(root, "src", PLAIN)
    assert layers, "the fixture has re-export layers"
    assert differences(Workspace(root, "src", PLAIN), layers) == []


DECORATED = {
    "src/shop/__init__.py": "",
    "src/shop/core.py": "def price(value: int) -> int:\n    return value\n",
    "src/shop/old.py": "from shop.core import price\n",
    "tests/test_price.py": (
        "from unittest import mock\n\n\n"
        '@mock.patch(\n    "shop.old.price",\n    return_value=1,\n)\n'
        "def test_price(fake: mock.MagicMock) -> None:\n"
        "    assert fake() == 1\n"
    ),
}


def test_a_prune_that_forgets_decorators_is_a_difference(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reference walk prunes nodes by line span; a span that starts at ``def`` (as ``ast``
    puts it) rather than at the first decorator misses the patch string: the guard says so."""
    root = write_tree(tmp_path / "tree", DECORATED)
    commit_all(root)

    def span_without_decorators(node: ast.AST) -> tuple[int, int] | None:
        first, last = getattr(node, "lineno", None), getattr(node, "end_lineno", None)
        return None if first is None or last is None else (first, last)

    monkeypatch.setattr(references, "line_span", span_without_decorators)
    found = differences(Workspace(root, "src", PLAIN), ["shop.old"])
    assert any(line.startswith("references: tests/test_price.py:") for line in found), found
    assert any(line.startswith("rewritten text: tests/test_price.py") for line in found), found


UNNAMED = {
    "src/core/__init__.py": "",
    "src/core/tools.py": "def make() -> int:\n    return 1\n",
    "src/legacy/__init__.py": '"""A layer."""\n\nfrom core.tools import make\n',
    "src/legacy/jobs/__init__.py": "",
    "src/legacy/jobs/user.py": "import os\n\nfrom .. import make\n\nVALUE = make(), os.sep\n",
}


def test_a_relative_import_that_reaches_a_layer_unnamed_is_found_with_the_shortcuts_on(
    tmp_path: Path,
) -> None:
    """``from .. import make`` reaches the layer ``legacy`` without showing its name: the text
    prefilter, the line prune and the statement reduction must not drop it (the guard found
    emcee's ``from .. import __version__`` and flask's ``from . import Flask`` dropped)."""
    root = write_tree(tmp_path / "tree", UNNAMED)
    commit_all(root)
    analysis = analyse(Workspace(root, "src", PLAIN), extra_shims={"legacy"})
    found = [r for r in analysis.inventory.references if r.path == "src/legacy/jobs/user.py"]
    assert [(r.shim, r.names) for r in found] == [("legacy", ("make",))]
    moves = Moves(names={("legacy", "make"): "core.tools"})
    text = (root / "src/legacy/jobs/user.py").read_text()
    outcome = rewrite_source(text, "src/legacy/jobs/user.py", moves, "legacy.jobs.user", False)
    assert outcome.text == text.replace("from .. import make", "from core.tools import make")


IMPORTED_IN_A_FUNCTION = {
    "src/shop/__init__.py": "",
    "src/shop/core.py": "def price(value: int) -> int:\n    return value\n",
    "src/shop/old.py": "from shop.core import price\n",
    "tests/test_price.py": (
        "def test_core() -> None:\n"
        "    import shop.core\n\n"
        "    assert shop.core.price(1) == 1\n\n\n"
        "def test_old() -> None:\n"
        "    import shop.old\n\n"
        "    assert shop.old.price(1) == 1\n"
    ),
}


def test_an_import_of_the_package_in_a_function_that_shows_no_layer_is_found(
    tmp_path: Path,
) -> None:
    """``import shop.core`` binds ``shop``, through which ``shop.old.price`` reaches the layer,
    whichever function holds the chain; the function with that import shows no layer's name, so
    the line prune skipped it (idna's tests, as the guard found them)."""
    root = write_tree(tmp_path / "tree", IMPORTED_IN_A_FUNCTION)
    commit_all(root)
    assert differences(Workspace(root, "src", PLAIN), ["shop.old"]) == []
    found = analyse(Workspace(root, "src", PLAIN)).inventory.references
    assert [r.line for r in found if r.path == "tests/test_price.py"] == [2, 8]
