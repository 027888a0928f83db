"""write_atomic, and the kit's temporary folders: the one copy of each rule, tested once."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from shimkit.system.files import WriteError, write_atomic
from shimkit.system.scratch import (
    discard_tree,
    orphaned_scratch,
    remove_orphaned_scratch,
    scratch_dir,
)


def test_write_atomic_replaces_keeping_the_mode_and_creates_parents(tmp_path: Path) -> None:
    target = tmp_path / "a.txt"
    target.write_bytes(b"old\n")
    os.chmod(target, 0o751)
    write_atomic(target, b"new\n")
    assert target.read_bytes() == b"new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o751
    write_atomic(tmp_path / "deep" / "er" / "b.json", b"{}\n")
    assert (tmp_path / "deep" / "er" / "b.json").read_bytes() == b"{}\n"
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["a.txt", "b.json"]


def test_write_atomic_fails_in_one_line_leaving_the_target(tmp_path: Path) -> None:
    (tmp_path / "file").write_bytes(b"x")
    with pytest.raises(WriteError) as raised:
        write_atomic(tmp_path / "file" / "under.txt", b"y")
    assert str(raised.value).startswith(f"cannot write {tmp_path / 'file' / 'under.txt'}: ")
    assert "\n" not in str(raised.value)
    assert [p.name for p in tmp_path.iterdir()] == ["file"]


def test_a_scratch_folder_is_removed_on_every_exit(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), scratch_dir("test") as folder:
        (folder / "x").write_text("x")
        raise RuntimeError
    assert not folder.exists()


def test_a_discarded_tree_is_gone_at_once_and_removed_by_a_live_owner(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run goes on as soon as the tree is moved away; meanwhile the folder that holds it is
    owned by a live process (never a killed run's to sweep), and it is removed."""
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    with scratch_dir("working-copy") as folder:
        tree = folder / "tree"
        for index in range(2000):  # enough that removing it outlasts the call
            (tree / f"d{index % 20}").mkdir(parents=True, exist_ok=True)
            (tree / f"d{index % 20}" / f"m{index}.py").write_text("x = 1\n")
        discard_tree(tree)
        assert not tree.exists()
    assert orphaned_scratch() == []
    deadline = time.monotonic() + 60
    while list(tmp_path.iterdir()):
        assert orphaned_scratch() == [], "the removing process is alive while the folder is"
        assert time.monotonic() < deadline, list(tmp_path.iterdir())
        time.sleep(0.01)


def test_only_folders_of_dead_owners_are_orphans(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    dead = subprocess.run(
        [sys.executable, "-c", _LEAVE_SCRATCH],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "scripts")},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    unrelated = tmp_path / "shimkit-notes"  # not owned by a run: never touched
    unrelated.mkdir()
    with scratch_dir("live") as live:
        assert orphaned_scratch() == [Path(dead)]
        assert remove_orphaned_scratch() == [Path(dead)]
        assert live.is_dir() and unrelated.is_dir() and not Path(dead).exists()


# a run killed inside its scratch folder: the folder stays behind, its owner is gone
_LEAVE_SCRATCH = """
import os
from shimkit.system.scratch import scratch_dir
with scratch_dir("migration") as folder:
    (folder / "copy").mkdir()
    print(folder, flush=True)
    os._exit(0)
"""
