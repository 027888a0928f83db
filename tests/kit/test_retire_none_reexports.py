"""Retiring a shim checks the re-exports of every layer the change can affect, not only those the
plan keeps: a layer whose name falls back to None once the shim is gone is a regression (the
round-trip battery planted one the rewrite cannot see); a name that was None before the change
already is not."""

from __future__ import annotations

from pathlib import Path

import pytest
from kit_helpers import LAYER_TREE, commit_all, files_under, run_script, write_tree

pytestmark = pytest.mark.slow

TREE = {
    **LAYER_TREE,
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
    assert "make (None), make (None)" not in done.stdout  # each name once
    assert files_under(root) == before


def test_a_name_that_was_none_before_the_change_is_no_regression(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "tree", TREE)
    commit_all(root)
    done = run_script("retire_shims.py", root, "app.old", "--write")
    assert done.returncode == 0, done.stdout + done.stderr
    assert not (root / "src/app/old.py").exists()
    assert "verification passed" in done.stdout


def test_a_name_none_before_the_import_reaches_the_change_is_not_imported_again(
    tmp_path: Path,
) -> None:
    """The layer's import runs only code the change leaves alone (it names a changed module for
    type checkers only): its name was None before the change as well, without a second import."""
    lazy = (
        '"""A layer over an optional module."""\n\nfrom typing import TYPE_CHECKING\n\n'
        "if TYPE_CHECKING:\n    import app.user  # noqa: F401\n\n"
        "try:\n    from app.core import make, missing\nexcept ImportError:\n"
        "    make = missing = None\n\n__all__ = ['make', 'missing']\n"
    )
    tree = {k: v for k, v in TREE.items() if k != "src/app/optional.py"}
    root = write_tree(tmp_path / "tree", {**tree, "src/app/lazy.py": lazy})
    commit_all(root)
    done = run_script("retire_shims.py", root, "app.old", "--write")
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "verification passed" in output
    assert "importing before the change the modules that fail or warn" not in output
