"""The analysis's text filters (a file that does not show a module's last name cannot name it; a
file that does not show ``import_module`` cannot call it) let through every text that may spell a
name otherwise than ``ast`` reads it: Python reads an identifier in its NFKC form, so a
full-width letter imports the module whose name the text never shows. With the shortcuts on,
the references and the import graph are those the plain walk finds."""

from __future__ import annotations

import ast
from pathlib import Path

from kit_helpers import commit_all, write_tree
from shimkit.application.workspace import Workspace, analyse
from shimkit.domain import shortcuts
from shimkit.domain.plan import Plan
from shimkit.use_cases.differential import differences

FULL_WIDTH_O = "\uff4f"  # read by Python as "o"
FULL_WIDTH_I = "\uff49"  # read by Python as "i"
TREE = {
    "src/shop/__init__.py": "",
    "src/shop/core.py": "def price(value):\n    return value\n",
    "src/shop/old.py": "from shop.core import price\n",
    "src/shop/use.py": (
        f"from shop import {FULL_WIDTH_O}ld\n"
        f"from shop.{FULL_WIDTH_O}ld import price\n\n\n"
        f"def total():\n    return price(1) + {FULL_WIDTH_O}ld.price(2)\n"
    ),
    "src/shop/late.py": (
        f"from importlib import {FULL_WIDTH_I}mport_module\n\n\n"
        f'def load():\n    return {FULL_WIDTH_I}mport_module("shop.old")\n'
    ),
}


def test_python_reads_the_full_width_spelling_as_the_module_name() -> None:
    tree = ast.parse(TREE["src/shop/use.py"])
    assert isinstance(tree.body[1], ast.ImportFrom)
    assert tree.body[1].module == "shop.old"
    assert "old" not in TREE["src/shop/use.py"].replace(FULL_WIDTH_O + "ld", "")


def test_names_spelled_otherwise_are_found_with_the_shortcuts_on(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    write_tree(root, TREE)
    commit_all(root)
    workspace = Workspace(root, "src", Plan(title="spelled otherwise"))
    analysis = analyse(workspace, extra_shims=["shop.old"])
    found = {(r.path, r.line) for r in analysis.inventory.references if r.shim == "shop.old"}
    assert {("src/shop/use.py", 1), ("src/shop/use.py", 2)} <= found
    assert "shop.old" in analysis.imports.files["src/shop/late.py"].imports
    assert differences(workspace, ["shop.old"]) == []
    with shortcuts.switched_off():
        plain = analyse(workspace, extra_shims=["shop.old"])
    assert plain.inventory.references == analysis.inventory.references
