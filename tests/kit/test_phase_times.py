"""The end of every run shows where its time went: a table of seconds per phase, with the phases
that run had and no other, narrow enough for a 100-column terminal, and the same figures as
numbers in ``retire_shims.py --json``. The seconds themselves are never asserted."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from kit_helpers import Repos, build_legacy_repo, build_second_repo, run_retire, run_script
from rich.console import Console
from shimkit.cli.reporter import RichReporter
from shimkit.domain.phases import clocked, timed

TITLE = "Where the time went"
TERMINAL = 100


def phase_table(stdout: str) -> list[str]:
    """The lines of the run's phase table, from its title to its last border."""
    lines = stdout.splitlines()
    start = max(i for i, line in enumerate(lines) if line.strip() == TITLE)
    table = []
    for line in lines[start + 1 :]:
        table.append(line)
        if line.startswith("└"):
            break
    return table


def phases_in(stdout: str) -> list[str]:
    """The phase names of the table's rows, in order (the total row included)."""
    return [
        line.split("│")[1].strip()
        for line in phase_table(stdout)
        if line.startswith("│") and line.split("│")[1].strip()
    ]


@pytest.mark.slow
def test_retire_write_shows_every_phase_it_ran_and_writes_them_as_numbers(
    repos: Repos, tmp_path: Path
) -> None:
    root = build_second_repo(repos)
    result_file = tmp_path / "result.json"
    run = run_retire(root, "--deprecated", "--write", "--json", str(result_file))
    assert run.returncode == 0, str(run)
    phases = phases_in(run.stdout)
    ran = ["analysis", "rewrite", "working copy", "baseline", "import checks", "tests", "write"]
    assert set(ran) <= set(phases), phases
    assert phases[0] == "start-up (Python, the kit)"
    assert phases[-2:] == ["other (git, planning, reports)", "total"]
    assert phases.index("analysis") < phases.index("rewrite") < phases.index("baseline")
    assert all(len(line) <= TERMINAL for line in phase_table(run.stdout))
    # the table is the last thing the run prints
    assert run.stdout.rstrip().endswith(phase_table(run.stdout)[-1])

    timing = json.loads(result_file.read_text())["timing"]
    assert [phase["phase"] for phase in timing["phases"]] == phases[:-2]
    assert all(isinstance(phase["seconds"], float) for phase in timing["phases"])
    assert all(isinstance(phase["peak_rise_mb"], float) for phase in timing["phases"])
    assert timing["total"]["peak_mb"] > 0
    shown = sum(phase["seconds"] for phase in timing["phases"])
    assert shown <= timing["total"]["seconds"]


def test_a_dry_run_shows_only_the_phases_it_had(tmp_path: Path) -> None:
    legacy = build_legacy_repo(tmp_path / "legacy")
    run = run_script("step2_consolidate.py", legacy)
    assert run.returncode == 0, run.stderr
    phases = phases_in(run.stdout)
    assert {"analysis", "rewrite"} <= set(phases)
    # nothing was copied, imported, tested or written
    assert not {"working copy", "import checks", "tests", "write", "baseline"} & set(phases)


def test_step1_shows_its_import_checks_apart_from_its_baseline(tmp_path: Path) -> None:
    legacy = build_legacy_repo(tmp_path / "legacy")
    run = run_script("step1_inventory.py", legacy, "--write-contracts")
    assert run.returncode == 0, run.stderr
    phases = phases_in(run.stdout)
    # its baseline imports every module and runs the plan's tests: those show apart from it
    assert {"analysis", "baseline", "import checks", "contracts", "tests", "write"} <= set(phases)
    assert phases.index("baseline") < phases.index("import checks")
    assert not {"rewrite", "working copy"} & set(phases)


def test_a_refused_run_prints_its_error_and_no_table(tmp_path: Path) -> None:
    legacy = build_legacy_repo(tmp_path / "legacy")
    run = run_script("retire_shims.py", legacy, "no.such.module", "--write")
    assert run.returncode == 2
    assert TITLE not in run.stdout


def test_time_goes_to_the_innermost_phase_running() -> None:
    """An import check inside the baseline is counted as an import check: the phases add up to
    no more than the run, and each phase keeps what its nested phases did not take."""
    now = [0.0]

    def tick(seconds: float) -> None:
        now[0] += seconds

    peak = [100.0]

    with clocked(clock=lambda: now[0], memory=lambda: peak[0]) as clock:
        with timed("baseline"):
            tick(1)
            with timed("import checks"):
                tick(5)
                peak[0] = 150.0
            tick(2)
            peak[0] = 160.0
        with timed("import checks"):
            tick(3)
        tick(4)  # no phase: "other"
        seconds, total, rises = clock.seconds(), clock.total(), clock.rise_mb()
    assert seconds == {"baseline": 3.0, "import checks": 8.0}
    assert total == 15.0
    assert rises == {"baseline": 10.0, "import checks": 50.0}


def test_outside_a_run_nothing_is_recorded() -> None:
    with timed("analysis"):
        pass
    with clocked() as clock:
        pass
    assert clock.seconds() == {}


def test_the_table_fits_a_100_column_terminal() -> None:
    out = io.StringIO()
    reporter = RichReporter(out=out)
    reporter.out = Console(file=out, width=TERMINAL, highlight=False)
    with clocked(startup=0.5) as clock:
        for phase in ("analysis", "rewrite", "working copy", "baseline", "import checks"):
            with timed(phase):
                pass
        with timed("contracts"), timed("tests"), timed("write"):
            pass
    reporter.phase_times(clock)
    lines = out.getvalue().splitlines()
    assert all(len(line) <= TERMINAL for line in lines)
    assert phases_in(out.getvalue())[:2] == ["start-up (Python, the kit)", "analysis"]
