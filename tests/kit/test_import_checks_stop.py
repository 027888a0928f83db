"""The one-interpreter import check stops early where it cannot pay: when, after its first
imports, it could vouch for few of them (as on sympy, where one import cycle is entered twice),
or for all of them but at about what importing each alone costs on the cores the forked path
has (as on Django, whose modules cost more to import than to fork), it stops, and the rest are
imported alone, with the same records as when every module is imported alone. Where it vouches
for enough at a fraction of a fork, it goes on to the end. What each look weighed and decided is
in the log ``SHIMKIT_TREE_LOG`` names. Real trees, real processes."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from kit_helpers import write_tree
from shimkit.analysis import import_graph, scan
from shimkit.verify import ModuleSmoke, SmokeOutcome, SmokeReport, smoke_modules

MODULES = 100  # more than the pass imports before it first looks at what it could vouch for

# ``big.a`` imports ``big.fast`` only when an environment variable is set, which it is not: the
# import graph has the cycle big.a <-> big.fast, and the one interpreter enters it twice (by
# ``big.a`` when importing ``big``, then by ``big.fast`` on its own), so it can vouch for no
# module whose import reaches the cycle: every module below ``big``
CYCLE_ENTERED_TWICE = """\
    import os

    VALUE = 1
    if os.environ.get("BIG_FAST_PATH_NEVER_SET"):
        from big.fast import speed
    """
NO_CYCLE = "VALUE = 1\n"
LIGHT = "from big.a import VALUE\n"
# about 15 ms of CPU to import, many times what forking a process costs: the pass, on one core,
# cannot beat importing such modules alone on two, even vouching for every one
HEAVY = "from big.a import VALUE\n\nWORK = sum(i * i for i in range(300_000))\n"
SAMPLE = 8  # the modules imported alone beside the first pass, to measure what that costs


def _tree(root: Path, a_module: str, body: str = LIGHT) -> Path:
    files = {
        "src/big/__init__.py": "from big.a import VALUE\n",
        "src/big/a.py": a_module,
        "src/big/fast.py": "from big.a import VALUE\n\nspeed = VALUE\n",
        # fails alone (nothing imports big.m_03 for it), whatever imported it before
        "src/big/m_90.py": "import big\n\nX = big.m_03.VALUE\n",
        # warns: imported alone in any case
        "src/big/m_91.py": """\
            import warnings
            warnings.warn("big.m_91 is old", DeprecationWarning)
            """,
        # fails on its own import
        "src/big/m_92.py": "from big.a import MISSING\n",
    }
    for index in range(MODULES):
        files.setdefault(f"src/big/m_{index:02}.py", body)
    return write_tree(root, files)


def _comparable(result: ModuleSmoke) -> ModuleSmoke:
    return dataclasses.replace(result, seconds=0.0)


def _checks(root: Path) -> tuple[SmokeReport, SmokeReport]:
    """The check through the one interpreter, and with every module imported alone."""
    order = import_graph(scan(root)).import_order()
    modules = sorted(order.modules)
    assert len(modules) > 64
    return (
        smoke_modules(root, "src", modules, jobs=2, order=order),
        smoke_modules(root, "src", modules, jobs=2),
    )


STOPPED = re.compile(
    r"the one-interpreter import check stopped after 64 of 95 modules \(it could vouch for "
    r"(\d+) of them; its last imports cost [\d.]+ ms of CPU each and it could vouch for "
    r"(\d+)% of them, where a module imported alone costs [\d.]+ ms on 2 cores: it pays only "
    r"if it vouches for (\d+)%\): the others are imported alone"
)


def _looks(log: Path) -> list[tuple[int, str]]:
    """Each look of the pass: how many of its 64 imports it could vouch for, and its decision."""
    text = log.read_text()
    found = re.findall(r"pass look: (\d+) of 64 imports vouchable, .*: (go on|stop)", text)
    return [(int(vouched), decision) for vouched, decision in found]


@pytest.mark.parametrize(
    ("a_module", "body"),
    [(CYCLE_ENTERED_TWICE, LIGHT), (NO_CYCLE, LIGHT), (NO_CYCLE, HEAVY)],
    ids=["cycle", "no-cycle", "no-cycle-heavy"],
)
def test_the_one_interpreter_stops_only_where_it_cannot_pay_with_the_same_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, a_module: str, body: str
) -> None:
    log = tmp_path / "looks.log"
    monkeypatch.setenv("SHIMKIT_TREE_LOG", str(log))
    monkeypatch.setenv("SHIMKIT_FORK_TREE", "0")  # what the pass left goes to the forked path
    shared, alone = _checks(_tree(tmp_path / "tree", a_module, body))
    assert [_comparable(r) for r in shared.results] == [_comparable(r) for r in alone.results]
    outcomes = {r.module: r.outcome for r in alone.results}
    assert outcomes["big.m_90"] is outcomes["big.m_92"] is SmokeOutcome.IMPORT_ERROR
    assert outcomes["big.m_91"] is SmokeOutcome.DEPRECATION
    assert sum(outcome is SmokeOutcome.OK for outcome in outcomes.values()) == MODULES
    assert alone.in_one_interpreter == 0 and not alone.notes
    looks = _looks(log)
    if a_module is NO_CYCLE and body is LIGHT:
        assert not shared.notes
        assert looks == [(looks[0][0], "go on")] and looks[0][0] >= 60
        assert shared.in_one_interpreter >= MODULES - SAMPLE
        return
    assert len(shared.notes) == 1, shared.notes
    stopped = STOPPED.fullmatch(shared.notes[0])
    assert stopped is not None, shared.notes[0]
    vouched, share, needed = (int(group) for group in stopped.groups())
    assert looks == [(vouched, "stop")] and share < needed
    if a_module is CYCLE_ENTERED_TWICE:
        assert vouched == share == shared.in_one_interpreter == 0
    else:  # it could vouch for every module it imported, and did, but that did not pay
        assert vouched >= 60 and share >= 90 and needed > 100
        assert shared.in_one_interpreter == vouched


def test_a_split_pass_part_that_stops_says_its_counts_are_of_its_part() -> None:
    from shimkit.verify.smoke_child import _stopped_note

    stopped = [64, 1020, 35, 0.0239, 0.55, 0.0655]
    whole, part = _stopped_note(stopped, 2)["text"], _stopped_note(stopped, 2, True)["text"]
    assert whole.startswith("the one-interpreter import check stopped after 64 of 1020 modules (")
    assert part.startswith(
        "a part of the one-interpreter import check stopped after 64 of 1020 modules in its part ("
    )
    assert whole.split(" (", 1)[1] == part.split(" (", 1)[1], "the same reasons"
