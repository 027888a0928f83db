"""The one-interpreter import check stops early where it cannot pay: when, after its first
imports, it could vouch for few of them (as on sympy, where one import cycle is entered twice),
it stops, and the rest are imported alone, with the same records as when every module is
imported alone. Where it can vouch, it goes on to the end. Real trees, real processes."""

from __future__ import annotations

import dataclasses
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


def _tree(root: Path, a_module: str) -> Path:
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
        files.setdefault(f"src/big/m_{index:02}.py", "from big.a import VALUE\n")
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


@pytest.mark.parametrize("a_module", [CYCLE_ENTERED_TWICE, NO_CYCLE], ids=["cycle", "no-cycle"])
def test_the_one_interpreter_stops_only_where_it_cannot_vouch_with_the_same_records(
    tmp_path: Path, a_module: str
) -> None:
    shared, alone = _checks(_tree(tmp_path, a_module))
    assert [_comparable(r) for r in shared.results] == [_comparable(r) for r in alone.results]
    outcomes = {r.module: r.outcome for r in alone.results}
    assert outcomes["big.m_90"] is outcomes["big.m_92"] is SmokeOutcome.IMPORT_ERROR
    assert outcomes["big.m_91"] is SmokeOutcome.DEPRECATION
    assert sum(outcome is SmokeOutcome.OK for outcome in outcomes.values()) == MODULES
    assert alone.in_one_interpreter == 0 and not alone.notes
    if a_module is CYCLE_ENTERED_TWICE:
        assert shared.in_one_interpreter == 0
        assert shared.notes == (
            "the one-interpreter import check stopped after 64 of 103 modules (it could vouch "
            "for 0 of them): the others are imported alone",
        )
    else:
        assert not shared.notes
        assert shared.in_one_interpreter >= MODULES
