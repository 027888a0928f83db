"""A pass that pays is split: once the one-interpreter check's first look finds that it pays,
what is left of its modules is shared out among the jobs, each part imported by a pass of its
own forked beside it, so that the passes hold every core. Every planted regression is caught in
the parts as in one fresh interpreter per module, with the same records; the split is in the log
``SHIMKIT_TREE_LOG`` names. Real trees, real processes."""

from __future__ import annotations

import dataclasses
import itertools
import json
import re
from pathlib import Path

import pytest
import test_import_checks_planted as planted
from kit_helpers import write_tree
from shimkit.analysis import import_graph, scan
from shimkit.verify import ImportMode, ModuleSmoke, SmokeReport, smoke_modules

# light modules that import a planted one, so that the pass's first look (after 64 imports)
# finds that it pays, and the parts hold fillers and planted regressions alike
FILLERS = [f"app.fill.m_{index:03}" for index in range(120)]
FILLER = "from app.core.values import other\n\nVALUE = other\n"
PART_MIN = 16  # SHIMKIT_SPLIT_MIN: the parts of so small a tree are small


def _tree(root: Path) -> Path:
    files = dict(planted.TREE)
    files["src/app/fill/__init__.py"] = ""
    for module in FILLERS:
        files[f"src/{module.replace('.', '/')}.py"] = FILLER
    return write_tree(root, files)


def _check(root: Path, jobs: int, mode: ImportMode, shared: bool) -> SmokeReport:
    return smoke_modules(
        root,
        "src",
        [*planted.EXPECTED, *FILLERS],
        planted.REEXPORTS,
        jobs,
        mode=mode,
        changed=planted.CHANGED,
        order=import_graph(scan(root)).import_order() if shared else None,
    )


def _comparable(result: ModuleSmoke) -> ModuleSmoke:
    return dataclasses.replace(result, seconds=0.0)


@pytest.mark.parametrize("jobs", [2, 3])
def test_a_split_pass_catches_every_planted_regression_with_the_records_of_fresh_imports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int
) -> None:
    log = tmp_path / "tree.log"
    monkeypatch.setenv("SHIMKIT_TREE_LOG", str(log))
    monkeypatch.setenv("SHIMKIT_FIXED_STOPS", "1")  # the pass goes on by its fixed yield
    monkeypatch.setenv("SHIMKIT_FORK_TREE", "0")
    monkeypatch.setenv("SHIMKIT_SPLIT_MIN", str(PART_MIN))
    root = _tree(tmp_path / "tree")
    split = _check(root, jobs, ImportMode.FORK, shared=True)
    fresh = _check(root, jobs, ImportMode.FRESH, shared=False)
    assert not split.notes, split.notes
    assert [_comparable(r) for r in split.results] == [_comparable(r) for r in fresh.results]
    outcomes = {r.module: (r.outcome, r.message.replace(f"{root}/", "")) for r in split.results}
    assert {module: outcomes[module] for module in planted.EXPECTED} == planted.EXPECTED
    # one split, at the first look, into as many parts as jobs, which together cover the rest
    splits = re.findall(r"pass split: keeps 64 to (\d+), leaves (.*)", log.read_text())
    assert len(splits) == 1, log.read_text()
    kept, left = int(splits[0][0]), json.loads(splits[0][1])
    assert len(left) == jobs - 1
    bounds = [[64, kept], *left]
    assert all(a[1] == b[0] for a, b in itertools.pairwise(bounds))
    assert left[-1][1] == len(planted.EXPECTED) + len(FILLERS)
    # the parts forked beside the first vouched for records too: more than the first imported
    assert split.in_one_interpreter > kept


def test_a_pass_too_short_to_share_is_not_split(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "tree.log"
    monkeypatch.setenv("SHIMKIT_TREE_LOG", str(log))
    monkeypatch.setenv("SHIMKIT_FIXED_STOPS", "1")
    monkeypatch.setenv("SHIMKIT_FORK_TREE", "0")
    root = _tree(tmp_path / "tree")  # what is left after the first look is under SPLIT_MIN
    report = _check(root, 2, ImportMode.FORK, shared=True)
    assert "pass split" not in log.read_text()
    assert "pass look" in log.read_text()
    assert report.in_one_interpreter > 64
