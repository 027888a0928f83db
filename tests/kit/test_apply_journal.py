"""The journal: a write killed at any rename or unlink is finished or undone by the next run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from kit_helpers import REPO, commit_all
from shimkit.apply import ApplyError, apply_changes, recover
from shimkit.apply.journal import BACKUPS_REMOVED_APART
from shimkit.domain.model import ChangeSet, FileChange

from tests.batteries.kill_battery import strace_available, write_calls

CHANGES = ChangeSet(
    (
        FileChange("pkg/a.py", "a = 1\n", "a = 2\n"),
        FileChange("pkg/b.py", "b = 1\n", "b = 2\n"),
        FileChange("pkg/new/c.py", None, "c = 3\n"),
        FileChange("pkg/old.py", "old = 1\n", None),
        FileChange("CHANGELOG.md", "# Changelog\n", "# Changelog\n\n- a row\n"),
    )
)
# the child: applies CHANGES to the tree named by argv[1]
_WRITER = f"""
import sys
from pathlib import Path
from shimkit.apply import apply_changes
from shimkit.domain.model import ChangeKind, ChangeSet, FileChange
apply_changes(Path(sys.argv[1]), {CHANGES!r}, verified="verified" in sys.argv)
"""


def _tree(root: Path, git: bool) -> Path:
    for change in CHANGES.changes:
        if change.old_text is not None:
            (root / change.path).parent.mkdir(parents=True, exist_ok=True)
            (root / change.path).write_text(change.old_text)
    if git:
        commit_all(root, "before")
    return root


def _files(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): p.read_text()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.parts
    }


def _expected(root: Path) -> tuple[dict[str, str], dict[str, str]]:
    before = _files(root)
    after = {k: v for k, v in before.items() if k != "pkg/old.py"}
    after.update({c.path: c.new_text for c in CHANGES.changes if c.new_text is not None})
    return before, after


def _leftovers(root: Path) -> list[str]:
    found = [p for p in root.rglob("*") if p.name.endswith(".shimkit-tmp")]
    found += [p for p in root.rglob("journal*")]
    found += [p for p in root.rglob(".shimkit")]
    return sorted(p.relative_to(root).as_posix() for p in found)


# the same, as the command line runs it: a stop signal raises an exception
_INTERRUPTIBLE_WRITER = f"""
import sys
from pathlib import Path
from shimkit.apply import apply_changes
from shimkit.domain.model import ChangeKind, ChangeSet, FileChange
from shimkit.system.signals import Interrupted, interruptible
try:
    with interruptible():
        apply_changes(Path(sys.argv[1]), {CHANGES!r})
except Interrupted as stop:
    print("interrupted by", stop.name)
"""


def _write_in_child(
    root: Path, *strace: str, writer: str = _WRITER, verified: bool = False
) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONPATH": str(REPO / "scripts"), "PYTHONDONTWRITEBYTECODE": "1"}
    argv = [sys.executable, "-c", writer, str(root), *(["verified"] if verified else [])]
    return subprocess.run([*strace, *argv], env=env, capture_output=True)


@pytest.mark.parametrize("git", [True, False], ids=["git", "no-git"])
def test_a_write_leaves_no_journal_backup_or_temp_file(tmp_path: Path, git: bool) -> None:
    root = _tree(tmp_path / "tree", git)
    _, after = _expected(root)
    apply_changes(root, CHANGES)
    assert _files(root) == after
    assert _leftovers(root) == []
    assert recover(root).describe() == ""


@pytest.mark.skipif(not strace_available(), reason="needs strace (ptrace)")
@pytest.mark.parametrize("git", [True, False], ids=["git", "no-git"])
def test_killed_at_any_rename_or_unlink_the_next_run_finishes_or_undoes_it(
    tmp_path: Path, git: bool
) -> None:
    traced = _tree(tmp_path / "traced", git)
    log = tmp_path / "trace.log"
    syscalls = "rename,renameat,renameat2,unlink,unlinkat"
    _write_in_child(traced, "strace", "-qq", "-o", str(log), "-e", f"trace={syscalls}")
    calls = write_calls(log, traced)
    assert len(calls) >= 8  # journal, renames, deletion, backups, journal removal
    outcomes = set()
    for syscall, nth in calls:
        root = _tree(tmp_path / f"{syscall}-{nth}", git)
        before, after = _expected(root)
        inject = f"inject={syscall}:signal=SIGKILL:when={nth}"
        killed = _write_in_child(root, "strace", "-qq", "-o", os.devnull, "-e", inject)
        assert killed.returncode in (-9, 137), killed.stderr.decode()
        outcome = recover(root)
        outcomes.add(outcome.action)
        files = _files(root)
        assert files in (before, after), f"killed at {syscall} #{nth}: a mix ({outcome})"
        assert _leftovers(root) == [], f"killed at {syscall} #{nth}"
    # killed before the journal is in place: nothing to undo; after it: every temp file exists
    assert outcomes == {"none", "completed"}


@pytest.mark.skipif(not strace_available(), reason="needs strace (ptrace)")
def test_a_half_renamed_write_whose_new_contents_are_lost_is_undone(tmp_path: Path) -> None:
    root = _tree(tmp_path, git=True)
    before, _ = _expected(root)
    # the 3rd rename: the journal is in place and pkg/a.py already holds its new contents
    inject = "inject=rename:signal=SIGKILL:when=3"
    _write_in_child(root, "strace", "-qq", "-o", os.devnull, "-e", inject)
    assert (root / "pkg/a.py").read_text() == "a = 2\n"
    for temp in root.rglob(".b.py.*.shimkit-tmp"):
        temp.unlink()  # pkg/b.py's new contents are gone: the write cannot be finished
    outcome = recover(root)
    assert outcome.action == "rolled back" and outcome.files == 1
    assert _files(root) == before
    assert _leftovers(root) == []


@pytest.mark.skipif(not strace_available(), reason="needs strace (ptrace)")
@pytest.mark.parametrize("verified", [True, False], ids=["verified", "unverified"])
def test_a_finished_write_says_whether_its_change_was_verified_before_it_began(
    tmp_path: Path, verified: bool
) -> None:
    """retire_shims.py and migrate.py verify on a working copy, then write: the rerun after a
    kill in the write finds nothing to do, and the recovery line is what says it was verified."""
    root = _tree(tmp_path, git=True)
    _, after = _expected(root)
    inject = "inject=rename:signal=SIGKILL:when=3"
    _write_in_child(root, "strace", "-qq", "-o", os.devnull, "-e", inject, verified=verified)
    said = recover(root).describe()
    assert said.startswith("finished an interrupted write"), said
    assert ("verification passed before the write began" in said) is verified, said
    assert _files(root) == after


@pytest.mark.skipif(not strace_available(), reason="needs strace (ptrace)")
@pytest.mark.parametrize(("nth", "whole"), [(1, False), (3, True)], ids=["journal", "renames"])
def test_sigterm_before_the_renames_undoes_the_write_and_during_them_waits_for_it(
    tmp_path: Path, nth: int, whole: bool
) -> None:
    root = _tree(tmp_path, git=True)
    before, after = _expected(root)
    inject = f"inject=rename:signal=SIGTERM:when={nth}"
    strace = ("strace", "-qq", "-o", os.devnull, "-e", inject)
    done = _write_in_child(root, *strace, writer=_INTERRUPTIBLE_WRITER)
    assert done.stdout.decode().strip() == "interrupted by SIGTERM", done.stderr.decode()
    assert _files(root) == (after if whole else before)
    assert _leftovers(root) == []


def test_an_unreadable_journal_is_discarded_with_the_temporary_files(tmp_path: Path) -> None:
    root = _tree(tmp_path, git=False)
    before = _files(root)
    state = root / ".shimkit"
    state.mkdir()
    (state / "journal.json").write_text('{"version": 1, "entr')
    (root / "pkg" / ".a.py.1234abcd.shimkit-tmp").write_text("a = 2\n")
    outcome = recover(root)
    assert outcome.action == "discarded" and outcome.temps_removed == 1
    assert "discarded" in outcome.describe()
    assert _files(root) == before
    assert _leftovers(root) == []


def test_a_rollback_without_its_backup_refuses_and_keeps_the_journal(tmp_path: Path) -> None:
    root = _tree(tmp_path, git=False)
    state = root / ".shimkit"
    state.mkdir()
    entry = {
        "path": "pkg/a.py",
        "old": "0" * 64,  # not what the file holds: it was changed, and must be put back
        "new": "1" * 64,  # not available anywhere: the write cannot be finished
        "temp": "pkg/.a.py.00000000.shimkit-tmp",
        "backup": "0",
        "old_mode": 0o644,
    }
    journal = {"version": 1, "entries": [entry], "created_dirs": []}
    (state / "journal.json").write_text(json.dumps(journal))
    with pytest.raises(ApplyError) as raised:
        recover(root)
    assert "cannot undo the interrupted write of pkg/a.py" in str(raised.value)
    assert "\n" not in str(raised.value)
    assert (state / "journal.json").is_file()


def _many(root: Path, count: int) -> ChangeSet:
    """``count`` files of ``root`` each changed (enough to have their backups removed apart)."""
    changes = []
    for index in range(count):
        path = f"pkg/m{index}.py"
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(f"m = {index}\n")
        changes.append(FileChange(path, f"m = {index}\n", f"m = {index + 1}\n"))
    return ChangeSet(tuple(changes))


def _gone_in_time(paths: list[Path], limit: float = 60.0) -> bool:
    deadline = time.monotonic() + limit
    while any(p.exists() for p in paths):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


@pytest.mark.parametrize("git", [True, False], ids=["git", "no-git"])
@pytest.mark.parametrize("durable", [True, False], ids=["durable", "working-copy"])
def test_a_large_write_hands_its_backups_to_a_process_of_their_own(
    tmp_path: Path, git: bool, durable: bool
) -> None:
    """The backups of a large write (the last links to the old contents) are out of the way when
    the write returns and removed apart; then no trace of the write is left, ``.shimkit/`` of a
    tree outside git included."""
    root = tmp_path / "tree"
    changes = _many(root, BACKUPS_REMOVED_APART)
    if git:
        commit_all(root, "before")
    state = root / (".git/shimkit" if git else ".shimkit")
    apply_changes(root, changes, durable=durable)
    assert all((root / c.path).read_text() == c.new_text for c in changes.changes)
    assert not (state / "journal-backup").exists()
    assert not (state / "journal.json").exists()
    # the removing process prunes the emptied state folder too: the walk below must not race it
    assert _gone_in_time([*state.glob("shimkit-trash-*"), state])
    assert _leftovers(root) == []


def test_backups_a_killed_removing_process_left_go_with_the_next_run(tmp_path: Path) -> None:
    """A removing process killed half-way leaves its folder in the state folder; it is owned by
    a dead process, so the next run's recovery removes it (and never reads it as temp files)."""
    root = _tree(tmp_path / "tree", git=True)
    state = root / ".git/shimkit"
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    left = state / f"shimkit-trash-{dead}-1-abc" / "tree"
    left.mkdir(parents=True)
    (left / "0").write_text("old bytes\n")
    (left / ".a.py.1.shimkit-tmp").write_text("not a temp file of the tree\n")
    assert recover(root).describe() == ""
    assert not state.exists()
