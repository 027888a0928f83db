"""The one-interpreter import check keeps the submodule attributes of packages hidden from one
import to the next instead of revealing and hiding them all around every import. Whatever an
import does to them outside the import statements the check watches (sets one back by hand,
shadows one, puts the module back in place of a shadow), the next module must find the package
as a fresh interpreter gives it, or not be vouched for: its record is the one it gets alone.
Real trees, real processes."""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

import pytest
from kit_helpers import write_tree
from shimkit.analysis import import_graph, scan
from shimkit.analysis.import_graph import ImportOrder
from shimkit.verify import ModuleSmoke, SmokeOutcome, SmokeReport, smoke_modules

TREE = {
    "src/app/__init__.py": "",
    "src/app/late/__init__.py": "",
    "src/app/late/sub.py": "VALUE = 3\n",
    # loads app.late.sub: the attribute it sets on app.late is hidden from the next module
    "src/app/late/a_loads.py": "import app.late.sub\n",
    # sets the attribute back past the import statement (alone it loads the module so)
    "src/app/late/b_resets.py": """\
        import importlib._bootstrap
        import app.late
        setattr(app.late, "sub", importlib._bootstrap._gcd_import("app.late.sub"))
        """,
    # imports the module, then shadows its attribute with another object
    "src/app/late/c_shadows.py": """\
        import app.late
        import app.late.sub
        app.late.sub = "a shadow"
        """,
    # puts the module back in place of a shadow, past the import statement
    "src/app/late/d_restores.py": """\
        import importlib._bootstrap
        import app.late
        app.late.sub = importlib._bootstrap._gcd_import("app.late.sub")
        """,
    # a plain write to the package's namespace
    "src/app/late/e_writes.py": "import app.late\napp.late.other = 1\n",
    # uses app.late.sub without importing it: fails alone, whatever ran before it here
    "src/app/late/z_uses.py": "import app.late\nVALUE = app.late.sub.VALUE\n",
}

LATE = "app.late."
# each sequence leaves app.late.sub set on the package by a way the import statements do not show
SEQUENCES = {
    "set back by hand": ("a_loads", "b_resets", "z_uses"),
    "shadowed, then put back": ("a_loads", "c_shadows", "d_restores", "z_uses"),
    "shadowed": ("a_loads", "c_shadows", "z_uses"),
    "a plain write between": ("a_loads", "e_writes", "b_resets", "e_writes", "z_uses"),
}


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tree(tmp_path_factory.mktemp("hiding"), TREE)


def _check(root: Path, modules: list[str], order: ImportOrder | None) -> SmokeReport:
    return smoke_modules(root, "src", modules, {}, 1, order=order)


def _comparable(result: ModuleSmoke) -> ModuleSmoke:
    return dataclasses.replace(result, seconds=0.0)


def _orders(graph: ImportOrder) -> dict[str, ImportOrder]:
    """Each sequence first (the rest after it), and shuffled orders."""
    modules = list(graph.modules)
    orders = {}
    for name, sequence in SEQUENCES.items():
        first = list(dict.fromkeys(LATE + module for module in sequence))
        orders[name] = ImportOrder((*first, *(m for m in modules if m not in first)), graph.edges)
    for seed in range(3):
        shuffled = tuple(random.Random(seed).sample(modules, len(modules)))
        orders[f"shuffled {seed}"] = ImportOrder(shuffled, graph.edges)
    return orders


def test_a_package_attribute_set_outside_the_watched_imports_is_hidden_again(tree: Path) -> None:
    graph = import_graph(scan(tree)).import_order()
    modules = sorted(graph.modules)
    alone = _check(tree, modules, None)
    assert alone.in_one_interpreter == 0
    outcomes = {r.module: r.outcome for r in alone.results}
    assert outcomes[LATE + "z_uses"] is SmokeOutcome.IMPORT_ERROR
    assert all(o is SmokeOutcome.OK for m, o in outcomes.items() if m != LATE + "z_uses")
    expected = [_comparable(r) for r in alone.results]
    for name, order in _orders(graph).items():
        shared = _check(tree, modules, order)
        assert shared.in_one_interpreter > 0, name
        assert [_comparable(r) for r in shared.results] == expected, name
