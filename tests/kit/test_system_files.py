"""write_atomic, and the kit's temporary folders: the one copy of each rule, tested once."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from shimkit.system.files import WriteError, write_atomic
from shimkit.system.scratch import orphaned_scratch, remove_orphaned_scratch, scratch_dir


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
