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
from kit_helpers import Repos
from test_retire_shims import RETIRE, TIMEOUT, new_repo, retire

from tests.batteries.kill_battery import main as kill_battery

pytestmark = pytest.mark.slow

# script -> (kills in all, of which at renames/unlinks of the write phase)
SAMPLE = {"step2": (4, 3), "step4": (3, 2), "retire": (1, 1), "migrate": (1, 1)}


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


def test_a_retirement_killed_while_verifying_is_verified_by_the_rerun(repos: Repos) -> None:
    root = new_repo(repos)
    command = [sys.executable, str(RETIRE), "--root", str(root), "--deprecated", "--write"]
    changelog = root / "CHANGELOG.md"
    journal = root / ".git" / "shimkit" / "journal.json"
    kit = subprocess.Popen(command, env=repos.env(), stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + TIMEOUT
        # the write is whole (CHANGELOG in place, journal gone): verification is running
        while not (changelog.is_file() and not journal.exists()) and kit.poll() is None:
            assert time.monotonic() < deadline
            time.sleep(0.02)
    finally:
        kit.kill()
        kit.wait()
    assert kit.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    again = retire(repos, root, "--deprecated", "--write")
    assert "stopped before verifying" in again.stdout, str(again)
    assert "verification passed" in again.stdout, str(again)
    assert again.returncode == 0, str(again)
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
