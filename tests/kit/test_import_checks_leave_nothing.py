"""An import check leaves nothing in the temp dir: the compiled code its processes shared goes,
removed by a process of its own, as the working copy does."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import pytest
from kit_helpers import write_tree
from shimkit.analysis import import_graph, scan
from shimkit.verify import ImportMode, SmokeOutcome, smoke_modules

TREE = {
    "src/app/__init__.py": "",
    **{f"src/app/m{index}.py": f"VALUE = {index}\n" for index in range(30)},
}


def test_the_shared_code_is_removed_after_the_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = write_tree(tmp_path / "tree", TREE)
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    modules = sorted(import_graph(scan(tree)).import_order().modules)
    report = smoke_modules(tree, "src", modules, jobs=2, mode=ImportMode.FORK)
    assert {result.outcome for result in report.results} == {SmokeOutcome.OK}
    deadline = time.monotonic() + 30
    while any(temp.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert list(temp.iterdir()) == []
