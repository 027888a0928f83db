"""Step 1's inventory: built in one call, round-tripped through JSON, rendered for people."""

from __future__ import annotations

import json
from pathlib import Path

from shimkit.analysis import (
    build_inventory,
    inventory_from_json,
    inventory_to_json,
    render_markdown,
)
from shimkit.domain.model import Area, Context, Definition

TREE = {
    "src/lib/__init__.py": "",
    "src/lib/core.py": "def a():\n    pass\n",
    "src/compat/__init__.py": "from .shim import a\n",
    "src/compat/shim.py": (
        "import warnings\n"
        "try:\n"
        "    from lib.core import a\n"
        "except ImportError:\n"
        "    a = None\n"
        "warnings.warn('use lib.core', DeprecationWarning)\n"
    ),
    "src/compat/unused.py": "from lib.core import a\n__all__ = ['a']\n",
    "src/app.py": "def run():\n    from compat.shim import a\n    return a()\n",
    "src/broken.py": "def f(:\n",
    "tests/test_shim.py": (
        "import pytest\n"
        "def test_warns():\n"
        "    with pytest.warns(DeprecationWarning):\n"
        "        import compat.shim\n"
    ),
    "notebooks/n.ipynb": json.dumps(
        {
            "cells": [
                {
                    "cell_type": "code",
                    "metadata": {},
                    "source": "%matplotlib inline\nfrom compat.shim import a | None\n",
                },
                {"cell_type": "code", "metadata": {}, "source": "from compat.shim import a\n"},
            ],
            "metadata": {},
            "nbformat": 4,
            "nbformat_minor": 5,
        }
    ),
}


def write(root: Path) -> Path:
    for rel, content in TREE.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    return root


def test_build_inventory_finds_shims_chains_references_and_failures(tmp_path: Path) -> None:
    inv = build_inventory(write(tmp_path))
    assert [s.module for s in inv.shims] == ["compat", "compat.shim", "compat.unused"]
    assert inv.modules == (
        "app",
        "broken",
        "compat",
        "compat.shim",
        "compat.unused",
        "lib",
        "lib.core",
    )
    assert [(f.path, f.line) for f in inv.parse_failures] == [
        ("notebooks/n.ipynb", 2),
        ("src/broken.py", 1),
    ]
    shim = next(s for s in inv.shims if s.module == "compat.shim")
    assert shim.warns and shim.pure and shim.none_fallbacks == ("a",)
    facade = next(s for s in inv.shims if s.module == "compat")
    assert facade.facade
    chain = next(r for r in inv.resolutions if r.shim == "compat")
    assert chain.chain == ("compat", "compat.shim", "lib.core")
    assert chain.definition == Definition("lib.core", "a")
    by_path = {(r.path, r.shim): r for r in inv.references}
    assert by_path[("src/app.py", "compat.shim")].contexts == {Context.FUNCTION_LOCAL}
    assert by_path[("src/compat/__init__.py", "compat.shim")].contexts == {Context.PACKAGE_INIT}
    assert by_path[("tests/test_shim.py", "compat.shim")].exercises_shim
    assert by_path[("notebooks/n.ipynb", "compat.shim")].cell == 1
    assert not any(r.shim == "compat.unused" for r in inv.references)


def test_given_shim_modules_limit_the_inventory(tmp_path: Path) -> None:
    inv = build_inventory(write(tmp_path), shim_modules=["compat.shim", "compat.gone"])
    assert [s.module for s in inv.shims] == ["compat.shim"]
    assert {r.shim for r in inv.references} == {"compat.shim"}
    assert {r.area for r in inv.references} == {Area.SRC, Area.TESTS, Area.NOTEBOOKS}


def test_json_round_trip_is_exact(tmp_path: Path) -> None:
    inv = build_inventory(write(tmp_path))
    data = inventory_to_json(inv)
    again = inventory_from_json(json.loads(json.dumps(data)))
    assert again == inv
    assert inventory_to_json(again) == data
    ref = next(r for r in data["references"] if r["path"] == "src/compat/__init__.py")
    assert ref["kind"] == "relative-from-import" and ref["contexts"] == ["package-init"]


def test_markdown_report_puts_parse_failures_first(tmp_path: Path) -> None:
    text = render_markdown(build_inventory(write(tmp_path)))
    sections = [line for line in text.splitlines() if line.startswith("## ")]
    assert sections[0] == "## Files that do not parse"
    assert "`src/broken.py:1`" in text
    assert sections[-1] == "## Tests exercising shims"
    tests_part = text.split("## Tests exercising shims", 1)[1]
    assert "tests/test_shim.py:4" in tests_part
    assert "| `compat.shim` | cross-package shim | yes | active | 4 | 2 | 1 | 0 | 1 |" in text
    assert "| `compat.unused` | cross-package shim | no | unused | 0 |" in text
    assert "`compat` → `compat.shim` → `lib.core`" in text
    assert "`notebooks/n.ipynb:1 (cell 1)`" in text
