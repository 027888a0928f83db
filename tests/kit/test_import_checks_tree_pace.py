"""The fork tree is off unless ``SHIMKIT_FORK_TREE=1`` asks for it, and then runs only while it
pays: once past its grace, a tree that gives records slower than the forked path would (at the
pace of the sample, whole units of the order imported on that path, measured in the run) is
stopped, and what it did not report is imported alone, with the same records as when every
module is imported alone. Real trees, real processes; the decision is in the log
``SHIMKIT_TREE_LOG`` names."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from kit_helpers import write_tree
from shimkit.analysis import import_graph, scan
from shimkit.verify import ModuleSmoke, SmokeOutcome, smoke_modules

MODULES = 100  # enough for the first pass to look, so a sample measures the forked path
# each module takes 80 ms to import (a sleep: no CPU, so the pass's own rule is not what stops
# anything); alone on 2 jobs the tree would take about 4 s, past its grace of 1 s
SLOW = """\
    import time

    import app.reg

    if False:  # in the static graph, never run: the tree's nodes import it, no leaf asks for it
        import app.base
    time.sleep(0.08)
    """
TREE = {
    "src/app/__init__.py": "",
    "src/app/reg.py": "ITEMS: list[str] = []\n",
    "src/app/base.py": "BASE = 1\n",
    # sorts first: fills app.reg.ITEMS, outside the others' closure, so the pass vouches for
    # none of them and stops at its first look; the others go to the tree
    "src/app/a_writer.py": "import app.reg\napp.reg.ITEMS.append('writer')\n",
    **{f"src/app/m_{index:03}.py": SLOW for index in range(MODULES)},
}


def _comparable(result: ModuleSmoke) -> ModuleSmoke:
    return dataclasses.replace(result, seconds=0.0)


def test_a_tree_that_cannot_pay_is_stopped_with_the_same_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_tree(tmp_path / "tree", TREE)
    log = tmp_path / "tree.log"
    order = import_graph(scan(root)).import_order()
    modules = sorted(set(order.modules) - {"app", "app.reg", "app.base"})
    assert len(modules) == MODULES + 1
    alone = smoke_modules(root, "src", modules, {}, 2)
    assert {r.outcome for r in alone.results} == {SmokeOutcome.OK}
    monkeypatch.setenv("SHIMKIT_TREE_LOG", str(log))
    monkeypatch.setenv("SHIMKIT_SHARED_PASSES", "1")
    monkeypatch.setenv("SHIMKIT_FORK_TREE", "1")
    checked = smoke_modules(root, "src", modules, {}, 2, order=order)
    assert [_comparable(r) for r in checked.results] == [_comparable(r) for r in alone.results]
    text = log.read_text()
    assert re.search(r"pass look: [0-3] of 64 imports vouchable, .*: stop", text), text
    tree = re.search(r"fork tree: (\d+) of (\d+) modules, [\d.]+ s; stopped at ([\d.]+) s", text)
    assert tree is not None, text
    vouched, given, seconds = int(tree[1]), int(tree[2]), float(tree[3])
    assert vouched == 0 and given >= MODULES - 8 and seconds < 3.0
    assert checked.in_one_interpreter <= 1
    # the figure it was stopped by, and what it was measured on: 8 of the sleeping modules
    figure = re.search(r"the forked path's pace ([\d.]+) ms a module a job on 8 modules of 1", text)
    assert figure is not None, text
    assert float(figure[1]) >= 80.0  # each sleeps 80 ms: a wall pace, not a CPU one


def test_the_tree_is_off_unless_asked_for(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_tree(tmp_path / "tree", TREE)
    log = tmp_path / "tree.log"
    order = import_graph(scan(root)).import_order()
    modules = sorted(set(order.modules) - {"app", "app.reg", "app.base"})
    monkeypatch.setenv("SHIMKIT_TREE_LOG", str(log))
    monkeypatch.setenv("SHIMKIT_SHARED_PASSES", "1")
    monkeypatch.delenv("SHIMKIT_FORK_TREE", raising=False)
    checked = smoke_modules(root, "src", modules, {}, 2, order=order)
    assert {r.outcome for r in checked.results} == {SmokeOutcome.OK}
    text = log.read_text()
    assert "pass look:" in text and "fork tree:" not in text, text
    assert checked.in_one_interpreter <= 1


# ``app.a_writer`` fills ``app.reg.ITEMS``: the first pass vouches for the 90 modules that do
# not import it (so it pays and runs to its end) and leaves the 10 that do to a pass of their own.
# Each of the 90 imports ``app.slow`` after a statement of its own, which no process of the
# forked path can share: alone, each pays for it (about 20 ms), the pass once, so the pass pays
# whatever this machine's fork costs against its imports
RETRIED = {
    "src/app/__init__.py": "",
    "src/app/reg.py": "ITEMS: list[str] = []\n",
    "src/app/slow.py": "TOTAL = sum(i * i for i in range(300_000))\n",
    "src/app/a_writer.py": "import app.reg\napp.reg.ITEMS.append('writer')\n",
    **{
        f"src/app/m_{index:03}.py": f"VALUE = str({index}) * 2\nimport app.slow\n"
        for index in range(90)
    },
    **{f"src/app/r_{index:03}.py": "import app.reg\n" for index in range(10)},
}


def test_the_sample_runs_once_however_many_passes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_tree(tmp_path / "tree", RETRIED)
    order = import_graph(scan(root)).import_order()
    modules = sorted(set(order.modules) - {"app", "app.reg"})
    alone = smoke_modules(root, "src", modules, {}, 2)
    monkeypatch.setenv("SHIMKIT_FORK_TREE", "0")
    checked = smoke_modules(root, "src", modules, {}, 2, order=order)
    assert [_comparable(r) for r in checked.results] == [_comparable(r) for r in alone.results]
    assert [r.module for r in checked.results] == modules
    # the sample's 8 went alone, the second pass vouched for the readers of the registry
    assert checked.in_one_interpreter >= len(modules) - 8 and not checked.notes
