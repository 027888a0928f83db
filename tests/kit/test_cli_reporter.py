"""Progress a person can follow in a log: plain lines when the output is not a terminal."""

from __future__ import annotations

import io
from pathlib import Path

from kit_helpers import write_tree
from shimkit.application import Workspace
from shimkit.application.workspace import analyse
from shimkit.cli.reporter import RichReporter
from shimkit.domain.plan import Plan


class FakeClock:
    """Seconds that pass only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_log_gets_a_line_at_the_start_every_five_seconds_and_at_the_end() -> None:
    err = io.StringIO()
    clock = FakeClock()
    reporter = RichReporter(out=io.StringIO(), err=err, clock=clock)
    with reporter.progress("step 1: importing every module", 40) as progress:
        for _ in range(40):
            clock.now += 0.75  # 30 s in all
            progress.advance("some.module")
    assert err.getvalue().splitlines() == [
        "step 1: importing every module: 0/40 (0:00:00 elapsed)",
        "step 1: importing every module: 7/40 (0:00:05 elapsed)",  # 5.25 s after the start
        "step 1: importing every module: 14/40 (0:00:10 elapsed)",  # 5.25 s after that line
        "step 1: importing every module: 21/40 (0:00:15 elapsed)",
        "step 1: importing every module: 28/40 (0:00:21 elapsed)",
        "step 1: importing every module: 35/40 (0:00:26 elapsed)",
        "step 1: importing every module: 40/40 (0:00:30 elapsed)",
    ]


def test_a_long_silence_is_broken_by_the_next_item_and_hours_show() -> None:
    err = io.StringIO()
    clock = FakeClock()
    reporter = RichReporter(out=io.StringIO(), err=err, clock=clock)
    with reporter.progress("importing", 25) as progress:
        progress.advance()
        clock.now += 3725
        progress.advance()
    assert err.getvalue().splitlines() == [
        "importing: 0/25 (0:00:00 elapsed)",
        "importing: 2/25 (1:02:05 elapsed)",  # the end says nothing new: not repeated
    ]


def test_a_short_phase_stays_quiet() -> None:
    err = io.StringIO()
    reporter = RichReporter(out=io.StringIO(), err=err, clock=FakeClock())
    with reporter.progress("rewriting", 3) as progress:
        for _ in range(3):
            progress.advance()
    assert err.getvalue() == ""


def test_usage_sites_fit_100_columns_with_room_for_the_names(tmp_path: Path) -> None:
    importer = "src/company/platform/adapters/very_long_adapter_name/for_the_tracking_server.py"
    write_tree(
        tmp_path,
        {
            "src/company/__init__.py": "",
            "src/company/core.py": "def setup_for_stage_and_run():\n    return 1\n",
            "src/company/legacy/__init__.py": "",
            "src/company/legacy/deeply_nested_compatibility_module.py": (
                "from company.core import setup_for_stage_and_run\n"
            ),
            importer: "from company.legacy.deeply_nested_compatibility_module import "
            "setup_for_stage_and_run\n",
        },
    )
    analysis = analyse(Workspace(tmp_path, "src", Plan(title="t")))
    out = io.StringIO()
    reporter = RichReporter(out=out)
    reporter.out.width = 100
    reporter.inventory(analysis.inventory)
    lines = out.getvalue().split("Usage sites")[1].splitlines()
    assert max(len(line) for line in lines) <= 100
    assert any("setup_for_stage_and_run" in line for line in lines), "\n".join(lines)
