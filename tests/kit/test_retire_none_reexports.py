"""Retiring a shim checks the re-exports of every layer the change can affect, not only those the
plan keeps: a layer whose name falls back to None once the shim is gone is a regression (the
round-trip battery planted one the rewrite cannot see); a name that was None before the change
already is not."""

from __future__ import annotations

from pathlib import Path

import pytest
from kit_helpers import commit_all, files_under, run_script, write_tree

pytestmark = pytest.mark.slow

TREE = {
    "src/app/__init__.py": "",
    "src/app/core.py": "def make() -> int:\n    return 1\n",
    "src/app/old.py": '"""A re-export layer."""\n\nfrom app.core import make\n',
    "src/app/user.py": "from app.old import make\n\nVALUE = make()\n",
    "src/app/optional.py": (
        '"""A layer over an optional module this environment lacks."""\n\n'
        "import app.user  # noqa: F401\n\n"
        "try:\n    from app.core import make, missing\nexcept ImportError:\n"
        "    make = missing = None\n\n__all__ = ['make', 'missing']\n"
    ),
}
FALLBACK = (
    '"""A layer that loads the old module by a computed name."""\n\n'
    "from importlib import import_module\n\nimport app.user  # noqa: F401\n\n"
    "try:\n    import_module('app.' + 'old')\n    from app.core import make\n"
    "except ImportError:\n    make = None\n\n__all__ = ['make']\n"
)


def test_a_layer_whose_name_turns_none_refuses_the_retirement(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "tree", {**TREE, "src/app/facade.py": FALLBACK})
    commit_all(root)
    before = files_under(root)
    done = run_script("retire_shims.py", root, "app.old", "--write")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "app.facade: re-exported names unusable: make (None)" in done.stdout
    assert files_under(root) == before


def test_a_name_that_was_none_before_the_change_is_no_regression(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "tree", TREE)
    commit_all(root)
    done = run_script("retire_shims.py", root, "app.old", "--write")
    assert done.returncode == 0, done.stdout + done.stderr
    assert not (root / "src/app/old.py").exists()
    assert "verification passed" in done.stdout
