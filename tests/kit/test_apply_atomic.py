"""apply_changes: all-or-nothing writes on real files."""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from shimkit.apply import ApplyError, apply_changes
from shimkit.domain.model import ChangeKind, ChangeSet, FileChange
from shimkit.system.files import keep_copy


def _tree(tmp_path: Path) -> Path:
    (tmp_path / "pkg").mkdir(parents=True)
    (tmp_path / "pkg" / "a.py").write_bytes(b"import x\r\nprint(x)\r\n")
    (tmp_path / "pkg" / "b.py").write_bytes(b"b = 1\n")
    (tmp_path / "pkg" / "old.py").write_bytes(b"old = 1\n")
    os.chmod(tmp_path / "pkg" / "a.py", 0o755)
    return tmp_path


def _snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        p.relative_to(root).as_posix(): (p.read_bytes(), stat.S_IMODE(p.stat().st_mode))
        for p in sorted(root.rglob("*"))
        if p.is_file()
    } | {p.relative_to(root).as_posix() + "/": (b"", 0) for p in root.rglob("*") if p.is_dir()}


def test_writes_creates_and_deletes_keeping_mode_and_crlf(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    changes = ChangeSet(
        (
            FileChange("pkg/a.py", "import x\r\nprint(x)\r\n", "import y\r\nprint(y)\r\n"),
            FileChange("pkg/new/c.py", None, "c = 3\n"),
            FileChange("pkg/old.py", "old = 1\n", None, ChangeKind.DELETE),
        )
    )
    apply_changes(root, changes)
    assert (root / "pkg/a.py").read_bytes() == b"import y\r\nprint(y)\r\n"
    assert stat.S_IMODE((root / "pkg/a.py").stat().st_mode) == 0o755
    assert (root / "pkg/new/c.py").read_text() == "c = 3\n"
    assert not (root / "pkg/old.py").exists()
    assert (root / "pkg/b.py").read_bytes() == b"b = 1\n"
    assert not [p for p in root.rglob("*") if "shimkit-tmp" in p.name]


def test_encoding_is_honoured(tmp_path: Path) -> None:
    (tmp_path / "l.py").write_bytes("# -*- coding: latin-1 -*-\nx = 'é'\n".encode("latin-1"))
    old = "# -*- coding: latin-1 -*-\nx = 'é'\n"
    apply_changes(
        tmp_path, ChangeSet((FileChange("l.py", old, old + "y = 'è'\n", encoding="latin-1"),))
    )
    assert (tmp_path / "l.py").read_bytes().endswith("y = 'è'\n".encode("latin-1"))


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (FileChange("pkg/b.py", "b = 2\n", "b = 3\n"), "pkg/b.py changed since it was analysed"),
        (FileChange("pkg", "x", "y"), "cannot write pkg: not a regular file"),
        (FileChange("missing/z.py", "z = 1\n", "z = 2\n"), "cannot change missing/z.py"),
        (FileChange("pkg/b.py/z.py", None, "z = 1\n"), "pkg/b.py is not a directory"),
        (FileChange("pkg/gone.py", "x\n", None), "cannot change pkg/gone.py"),
        (FileChange("pkg/b.py", None, "again\n"), "cannot create pkg/b.py: it already exists"),
        (FileChange("../outside.py", None, "x\n"), "outside the tree"),
    ],
)
def test_any_invalid_change_leaves_the_tree_untouched(
    tmp_path: Path, bad: FileChange, message: str
) -> None:
    root = _tree(tmp_path / "root")
    before = _snapshot(root)
    changes = ChangeSet(
        (
            FileChange("pkg/a.py", "import x\r\nprint(x)\r\n", "rewritten\n"),
            FileChange("pkg/sub/new.py", None, "new\n"),
            FileChange("pkg/old.py", "old = 1\n", None),
            bad,
        )
    )
    with pytest.raises(ApplyError) as raised:
        apply_changes(root, changes)
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)
    assert _snapshot(root) == before


def test_failure_while_writing_temp_files_removes_them_and_created_dirs(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    before = _snapshot(root)
    # a new file whose encoding cannot represent its text fails after the first temp file exists
    changes = ChangeSet(
        (
            FileChange("pkg/a.py", "import x\r\nprint(x)\r\n", "rewritten\n"),
            FileChange("pkg/deep/er/new.py", None, "new\n"),
            FileChange("pkg/zz.py", None, "snowman \u2603\n", encoding="ascii"),
        )
    )
    with pytest.raises(ApplyError, match=r"cannot encode pkg/zz\.py as ascii"):
        apply_changes(root, changes)
    assert _snapshot(root) == before


def test_duplicate_paths_are_refused(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    change = FileChange("pkg/b.py", "b = 1\n", "b = 2\n")
    with pytest.raises(ApplyError, match=r"two changes for pkg/b\.py"):
        apply_changes(root, ChangeSet((change, change)))
    assert (root / "pkg/b.py").read_bytes() == b"b = 1\n"


@contextmanager
def _immutable(path: Path) -> Iterator[None]:
    """``chattr +i``: even root cannot write, rename over or create in it."""
    chattr = shutil.which("chattr")
    if chattr is None or subprocess.run([chattr, "+i", str(path)], capture_output=True).returncode:
        pytest.skip("chattr +i is not available here")
    try:
        yield
    finally:
        subprocess.run([chattr, "-i", str(path)], check=True)


def test_unwritable_directory_fails_before_any_rename(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    (root / "locked").mkdir()
    (root / "locked" / "m.py").write_bytes(b"m = 1\n")
    before = _snapshot(root)
    changes = ChangeSet(
        (
            FileChange("pkg/a.py", "import x\r\nprint(x)\r\n", "rewritten\n"),
            FileChange("pkg/new/c.py", None, "c\n"),
            FileChange("locked/m.py", "m = 1\n", "m = 2\n"),
        )
    )
    with _immutable(root / "locked"), pytest.raises(ApplyError) as raised:
        apply_changes(root, changes)
    assert str(raised.value) == "cannot write locked/m.py: permission denied"
    assert _snapshot(root) == before


@pytest.mark.parametrize("durable", [True, False], ids=["durable", "working-copy"])
def test_rename_failure_midway_rolls_back_replaced_files(tmp_path: Path, durable: bool) -> None:
    """A working copy's write (not durable: nothing flushed to disk) is undone as whole."""
    root = _tree(tmp_path)
    before = _snapshot(root)
    changes = ChangeSet(
        (
            FileChange("pkg/a.py", "import x\r\nprint(x)\r\n", "rewritten\n"),
            FileChange("pkg/new/c.py", None, "c\n"),
            FileChange("pkg/b.py", "b = 1\n", "b = 2\n"),
            FileChange("pkg/old.py", "old = 1\n", None),
        )
    )
    with _immutable(root / "pkg" / "b.py"), pytest.raises(ApplyError) as raised:
        apply_changes(root, changes, durable=durable)
    assert str(raised.value) == "cannot write pkg/b.py: operation not permitted"
    assert _snapshot(root) == before
    assert not [p for p in root.rglob("*") if "shimkit-tmp" in p.name]


@pytest.mark.parametrize("durable", [True, False], ids=["durable", "working-copy"])
def test_delete_failure_rolls_back_writes(tmp_path: Path, durable: bool) -> None:
    """A deleted file comes back with its mode (a working copy is written in place: its file
    is made again)."""
    root = _tree(tmp_path)
    (root / "pkg" / "gone.py").write_bytes(b"g\n")
    os.chmod(root / "pkg" / "old.py", 0o600)
    before = _snapshot(root)
    changes = ChangeSet(
        (
            FileChange("pkg/a.py", "import x\r\nprint(x)\r\n", "rewritten\n"),
            FileChange("pkg/old.py", "old = 1\n", None),
            FileChange("pkg/gone.py", "g\n", None),
        )
    )
    with _immutable(root / "pkg" / "gone.py"), pytest.raises(ApplyError) as raised:
        apply_changes(root, changes, durable=durable)
    assert str(raised.value) == "cannot delete pkg/gone.py: operation not permitted"
    assert _snapshot(root) == before


def _other_filesystem(than: Path) -> Path | None:
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK) and shm.stat().st_dev != than.stat().st_dev:
        return shm
    return None


@pytest.mark.parametrize("where", ["same filesystem", "other filesystem"])
def test_a_backup_keeps_the_old_bytes_after_the_file_is_replaced(
    tmp_path: Path, where: str
) -> None:
    """Backups are hard links where the filesystem allows, copies where it does not: either
    way they hold the old bytes once the write has replaced the file."""
    source = tmp_path / "a.py"
    source.write_bytes(b"old = 1\n")
    folder = tmp_path if where == "same filesystem" else _other_filesystem(tmp_path)
    if folder is None:
        pytest.skip("no writable second filesystem here")
    backup = folder / f"backup-{os.getpid()}-{tmp_path.name}"
    try:
        keep_copy(source, backup, b"old = 1\n")
        linked = backup.stat().st_ino == source.stat().st_ino
        assert linked is (where == "same filesystem")
        replacement = tmp_path / "new.tmp"
        replacement.write_bytes(b"new = 2\n")
        os.replace(replacement, source)
        assert backup.read_bytes() == b"old = 1\n"
        assert source.read_bytes() == b"new = 2\n"
    finally:
        backup.unlink(missing_ok=True)


def _copy_changes() -> ChangeSet:
    return ChangeSet(
        (
            FileChange("pkg/a.py", "import x\r\nprint(x)\r\n", "rewritten\r\n"),
            FileChange("pkg/new/deeper/c.py", None, "c = 'é'\n", encoding="latin-1"),
            FileChange("pkg/b.py", "b = 1\n", "b = 2\n"),
            FileChange("pkg/old.py", "old = 1\n", None),
        )
    )


def test_a_working_copy_written_in_place_ends_as_the_journaled_write_ends(
    tmp_path: Path,
) -> None:
    """A working copy (not durable) is written in place, without journal, backups or
    temporary files: the same bytes, modes and folders as the journaled write of the plain path
    (every shortcut off), and undone as whole."""
    from shimkit.domain import shortcuts

    trees = {}
    for name in ("in-place", "journaled"):
        root = _tree(tmp_path / name)
        os.chmod(root / "pkg" / "b.py", 0o600)
        with contextlib.ExitStack() as stack:
            if name == "journaled":
                stack.enter_context(shortcuts.switched_off())
            before = _snapshot(root)
            apply_changes(root, _copy_changes(), durable=False)
            trees[name] = _snapshot(root)
            apply_changes(root, _copy_changes().undone(), durable=False)
            assert _snapshot(root) == {**before, "pkg/new/": (b"", 0), "pkg/new/deeper/": (b"", 0)}
    assert trees["in-place"] == trees["journaled"]
    assert trees["in-place"]["pkg/b.py"] == (b"b = 2\n", 0o600)
    assert trees["in-place"]["pkg/new/deeper/c.py"][0] == "c = 'é'\n".encode("latin-1")
