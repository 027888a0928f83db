"""A layer passes on a name it imports even when its ``__all__`` leaves the name out:
``from layer import extra`` works, so retiring the layer moves that import too (the round-trip
battery found toolz's star layers with extra names refused as "does not bind it")."""

from __future__ import annotations

from pathlib import Path

import pytest
from kit_helpers import commit_all, run_script, write_tree
from shimkit.application.workspace import Workspace, analyse
from shimkit.domain.plan import Plan

TREE = {
    "src/app/__init__.py": "",
    "src/app/core.py": "def make() -> int:\n    return 1\n\n\ndef extra() -> int:\n    return 2\n",
    "src/app/layer.py": (
        '"""Public API: make; extra is imported for the callers that used it."""\n\n'
        "from app.core import extra, make\n\n__all__ = ['make']\n"
    ),
    "src/app/user.py": "from app.layer import extra, make\n\nVALUE = make() + extra()\n",
}


def test_a_name_left_out_of_all_is_still_a_reexport(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "tree", TREE)
    analysis = analyse(Workspace(root, "src", Plan(title="t")))
    layer = next(s for s in analysis.inventory.shims if s.module == "app.layer")
    assert {r.name for r in layer.reexports} == {"make", "extra"}


@pytest.mark.slow
def test_retiring_the_layer_moves_the_name_left_out_of_all(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "tree", TREE)
    commit_all(root)
    done = run_script("retire_shims.py", root, "app.layer", "--write")
    assert done.returncode == 0, done.stdout + done.stderr
    assert (root / "src/app/user.py").read_text().startswith("from app.core import extra, make\n")
    assert not (root / "src/app/layer.py").exists()
