"""A sample of the kill battery (``tests/batteries/kill_battery.py``): the kit is SIGKILLed in the
write phase of each script, and at a random moment, then run again; nothing may be left torn,
half-written, unverified or running. The full battery (200 kills and more) runs outside the suite.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.batteries.kill_battery import main as kill_battery

pytestmark = pytest.mark.slow

# script -> (kills in all, of which at renames/unlinks of the write phase)
SAMPLE = {"step2": (4, 3), "step4": (3, 2), "retire": (2, 1), "migrate": (1, 1)}


@pytest.mark.parametrize("script", sorted(SAMPLE))
def test_a_killed_run_is_finished_or_undone_by_the_next(tmp_path: Path, script: str) -> None:
    kills, at_writes = SAMPLE[script]
    said: list[str] = []
    status = kill_battery(
        ["--scripts", script, "--kills", str(kills), "--per-script", str(at_writes),
         "--work", str(tmp_path / "battery")],
        said.append,
    )  # fmt: skip
    report = "\n".join(said)
    assert status == 0, report
    assert f"kills {kills}," in report, report
