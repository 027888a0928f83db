"""A sample of the kill battery (``tests/batteries/kill_battery.py``): the kit is SIGKILLed in the
write phase of each script, and at a random moment, then run again; nothing may be left torn,
half-written, unverified or running. The full battery (200 kills and more) runs outside the suite.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from kit_helpers import SCRIPTS, Repos, quick_kit
from shimkit.system.scratch import scratch_bases
from test_retire_shims import TIMEOUT, new_repo, retire, snapshot

from tests.batteries.kill_battery import main as kill_battery

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

RETIRE = SCRIPTS / "retire_shims.py"

# script -> (kills in all, of which at renames/unlinks of the write phase)
SAMPLE = {"step2": (3, 2), "step4": (2, 1), "retire": (1, 1), "migrate": (1, 1)}


@pytest.mark.parametrize("script", sorted(SAMPLE))
def test_a_killed_run_is_finished_or_undone_by_the_next(tmp_path: Path, script: str) -> None:
    kills, at_writes = SAMPLE[script]
    said: list[str] = []
    status = kill_battery(
        ["--scripts", script, "--kills", str(kills), "--per-script", str(at_writes),
         "--work", str(tmp_path / "battery"), "--kit", str(quick_kit())],
        said.append,
    )  # fmt: skip
    report = "\n".join(said)
    assert status == 0, report
    assert f"kills {kills}," in report, report


def copies(temp: Path, pattern: str) -> list[Path]:
    """What matches ``pattern`` where runs with the temp dir ``temp`` keep scratch folders."""
    return [found for base in scratch_bases(temp) for found in base.glob(pattern)]


def test_a_retirement_killed_while_verifying_leaves_the_tree_as_it_was(
    repos: Repos, tmp_path: Path
) -> None:
    """Verification runs on a working copy before anything is written: a kill there leaves the
    tree untouched, and the rerun (which removes the dead run's copy) does the whole job."""
    root = new_repo(repos)
    before = snapshot(root)
    command = [sys.executable, str(RETIRE), "--root", str(root), "--deprecated", "--write"]
    env = repos.env(TMPDIR=str(tmp_path))
    kit = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + TIMEOUT
        # the working copy holds the change: verification is running on it
        while kit.poll() is None and not copies(tmp_path, "*working-copy*/*/CHANGELOG.md"):
            assert time.monotonic() < deadline
            time.sleep(0.02)
    finally:
        kit.kill()
        kit.wait()
    assert kit.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    assert snapshot(root) == before
    again = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "verification passed" in again.stdout
    assert not copies(tmp_path, "*working-copy*"), "the dead run's copy was removed"
    assert "nothing to do" in retire(repos, root, "--deprecated", "--write").stdout


# a run killed while a baseline worktree of its repository is checked out
_KILLED_IN_WORKTREE = """
import os, sys
from pathlib import Path
from shimkit.verify import temporary_worktree
with temporary_worktree(Path(sys.argv[1]), "HEAD") as tree:
    print(tree, flush=True)
    os._exit(0)
"""


def test_the_next_run_removes_a_dead_runs_worktree(repos: Repos, tmp_path: Path) -> None:
    root = new_repo(repos)
    env = repos.env(TMPDIR=str(tmp_path), PYTHONPATH=str(RETIRE.parent))
    left = subprocess.run(
        [sys.executable, "-c", _KILLED_IN_WORKTREE, str(root)],
        env=env, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    assert Path(left).is_dir()
    assert len(repos.git(root, "worktree", "list").splitlines()) == 2
    step2 = RETIRE.parent / "step2_consolidate.py"
    again = subprocess.run(
        [sys.executable, str(step2), "--root", str(root)],
        env=repos.env(TMPDIR=str(tmp_path)), capture_output=True, text=True,
    )  # fmt: skip
    assert "removed 1 temporary folder(s) of runs that were killed" in again.stderr, again.stderr
    assert not Path(left).exists()
    assert len(repos.git(root, "worktree", "list").splitlines()) == 1
