"""The working copy's short copy gives what ``shutil.copytree`` gives, and lives in memory only
where it fits. Begun ahead (``scratch_copy_ahead``), it is made by a forked process while the run
goes on: what that process raises is raised in the run, the run makes the copy itself where the
process cannot, and the process never outlives the run, killed or not.

Both copies of one tree of awkward entries (links to files, folders and nothing, modes, empty
and large files, extended attributes, left-out folders at any depth, a named pipe) are compared
entry by entry (kind, bytes or link target, mode, times, attributes), by the errors they report,
and by the tree git commits from them.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from kit_helpers import process_alive
from shimkit.domain import shortcuts
from shimkit.domain.errors import KitError
from shimkit.domain.folders import STATE_DIRS, TOOL_DIRS
from shimkit.system import tree_copy
from shimkit.system.scratch import (
    memory_base,
    memory_budget,
    remove_orphaned_scratch,
    scratch_bases,
)
from shimkit.system.tree_copy import NoRoom, copy_tree, scratch_copy, scratch_copy_ahead

LEFT_OUT = (*TOOL_DIRS, *STATE_DIRS)


def _awkward_tree(root: Path) -> None:
    (root / "pkg" / "sub").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "mod.py").write_text("x = 1\n")
    (root / "pkg" / "big.bin").write_bytes(os.urandom(3 << 20))
    (root / "pkg" / "sub" / "run.sh").write_text("#!/bin/sh\n")
    (root / "pkg" / "sub" / "run.sh").chmod(0o755)
    (root / "pkg" / "sub" / "frozen.py").write_text("y = 2\n")
    (root / "pkg" / "sub" / "frozen.py").chmod(0o444)
    (root / "pkg" / "link.py").symlink_to("mod.py")
    (root / "pkg" / "to_sub").symlink_to("sub")
    (root / "pkg" / "nowhere").symlink_to("missing.py")
    for left in ("__pycache__", ".git", "node_modules"):
        (root / "pkg" / "sub" / left).mkdir()
        (root / "pkg" / "sub" / left / "x.pyc").write_bytes(b"\0")
    (root / ".venv").mkdir()
    (root / ".venv" / "pyvenv.cfg").write_text("home = /\n")
    old = time.time() - 86_400
    os.utime(root / "pkg" / "mod.py", (old, old + 0.123456))
    os.utime(root / "pkg" / "sub", (old, old))
    try:
        os.setxattr(root / "pkg" / "mod.py", "user.origin", b"planted")
    except OSError as error:
        if error.errno not in (errno.ENOTSUP, errno.EPERM):
            raise


def _entries(root: Path) -> dict[str, tuple[object, ...]]:
    """Every entry below ``root``: kind, content (or link target), mode, mtime, attributes."""
    found: dict[str, tuple[object, ...]] = {}
    for folder, names, files in os.walk(root):
        for name in [*names, *files]:
            path = Path(folder, name)
            status = path.lstat()
            if stat.S_ISLNK(status.st_mode):
                content: object = os.readlink(path)
            elif stat.S_ISREG(status.st_mode):
                content = path.read_bytes()
            else:
                content = None
            try:
                attributes = sorted(
                    (key, os.getxattr(path, key, follow_symlinks=False))
                    for key in os.listxattr(path, follow_symlinks=False)
                )
            except OSError:
                attributes = []
            found[str(path.relative_to(root))] = (
                stat.S_IFMT(status.st_mode),
                content,
                stat.S_IMODE(status.st_mode),
                status.st_mtime_ns,
                attributes,
            )
    return found


def _tree_of(root: Path) -> str:
    def git(*args: str) -> str:
        env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull}
        done = subprocess.run(["git", *args], cwd=root, env=env, capture_output=True, check=True)
        return done.stdout.decode().strip()

    git("init", "-q")
    git("add", "-A")
    return git("write-tree")


def test_the_short_copy_gives_what_copytree_gives(tmp_path: Path) -> None:
    source, plain = _tree(tmp_path)
    short = tmp_path / "short"
    copy_tree(source, short, LEFT_OUT)
    assert _entries(short) == _entries(plain)
    assert "pkg/sub/__pycache__" not in _entries(short)
    assert _tree_of(short) == _tree_of(plain)


def test_what_cannot_be_copied_is_reported_as_copytree_reports_it(tmp_path: Path) -> None:
    source = tmp_path / "tree"
    (source / "pkg").mkdir(parents=True)
    (source / "pkg" / "mod.py").write_text("x = 1\n")
    os.mkfifo(source / "pkg" / "pipe")
    errors = []
    for name, copy in (("plain", shutil.copytree), ("short", copy_tree)):
        with pytest.raises(shutil.Error) as raised:
            if copy is shutil.copytree:
                shutil.copytree(source, tmp_path / name, symlinks=True)
            else:
                copy_tree(source, tmp_path / name, ())
        errors.append([(s, d.replace(name, "COPY"), why) for s, d, why in raised.value.args[0]])
        assert (tmp_path / name / "pkg" / "mod.py").read_text() == "x = 1\n"
    assert errors[0] == errors[1]


def test_a_copy_larger_than_its_room_stops(tmp_path: Path) -> None:
    source = tmp_path / "tree"
    source.mkdir()
    for index in range(5):
        (source / f"m{index}.py").write_text("x = 1\n")
    with pytest.raises(NoRoom):
        copy_tree(source, tmp_path / "small", (), room=4 * 4096)
    copy_tree(source, tmp_path / "enough", (), room=5 * 4096)


def _temp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    import tempfile

    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setattr(tempfile, "tempdir", None)
    return temp


def _gone(path: Path) -> bool:
    deadline = time.monotonic() + 60
    while path.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    return not path.exists()


def test_a_working_copy_is_in_memory_when_it_fits_else_in_the_temp_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    temp = _temp_dir(tmp_path, monkeypatch)
    source, plain = _tree(tmp_path)
    with scratch_copy("working-copy", source, LEFT_OUT) as copy:
        memory = memory_base()
        if memory is None:
            pytest.skip("no file system in memory at /dev/shm")
        assert copy.parent.parent == memory and copy.name == "tree"
        assert _entries(copy) == _entries(plain)
    assert _gone(copy) and _gone(memory), "the copy and the folder in memory are removed"
    assert scratch_bases() == [temp]

    monkeypatch.setattr(tree_copy, "memory_budget", lambda base: 0)
    with scratch_copy("working-copy", source, LEFT_OUT) as copy:
        assert copy.parent.parent == temp, "too large for memory: in the temp dir"
        assert _entries(copy) == _entries(plain)
        assert not memory.exists(), "nothing left in memory"
    assert _gone(copy)

    monkeypatch.setattr(tree_copy, "memory_budget", memory_budget)
    with shortcuts.switched_off(), scratch_copy("working-copy", source, LEFT_OUT) as copy:
        assert copy.parent.parent == temp, "every shortcut off: copytree in the temp dir"
    assert _gone(copy)


def test_a_killed_runs_copy_in_memory_goes_with_the_next_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The next run removes a dead run's folder in memory, and the folder standing for the temp
    dir with it once it is empty."""
    _temp_dir(tmp_path, monkeypatch)
    memory = memory_base(create=True)
    if memory is None:
        pytest.skip("no file system in memory at /dev/shm")
    # a dead process's pid; the Popen is kept and waited on: dropped at once, its finalizer could
    # reap the child before a waitpid of ours
    child = subprocess.Popen(["true"])
    child.wait()
    pid = child.pid
    orphan = memory / f"shimkit-working-copy-{pid}-1-abc"
    (orphan / "tree").mkdir(parents=True)
    assert remove_orphaned_scratch() == [orphan]
    assert not memory.exists()


SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


def _tree(tmp_path: Path) -> tuple[Path, Path]:
    """An awkward tree, and what ``shutil.copytree`` makes of it."""
    source = tmp_path / "tree"
    source.mkdir()
    _awkward_tree(source)
    plain = tmp_path / "plain"
    shutil.copytree(source, plain, symlinks=True, ignore=shutil.ignore_patterns(*LEFT_OUT))
    return source, plain


def _in_memory() -> Path:
    memory = memory_base(create=True)
    if memory is None:
        pytest.skip("no file system in memory at /dev/shm")
    return memory


@dataclass(frozen=True)
class Scene:
    """A temp dir of the test's own, the folder in memory for it, an awkward tree and what
    ``shutil.copytree`` makes of it."""

    temp: Path
    memory: Path
    source: Path
    plain: Path


@pytest.fixture
def scene(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Scene:
    temp = _temp_dir(tmp_path, monkeypatch)
    memory = _in_memory()
    return Scene(temp, memory, *_tree(tmp_path))


def _listed(copy: Path) -> tuple[int, list[str]]:
    """What ``then`` returns: the process it ran in, and the files it found in the copy."""
    return os.getpid(), sorted(str(p.relative_to(copy)) for p in copy.rglob("*.py"))


def test_the_copy_is_made_and_then_used_by_another_process(scene: Scene) -> None:
    with scratch_copy_ahead("working-copy", scene.source, LEFT_OUT, _listed) as ready:
        copy, (pid, files) = ready()
        assert ready() == (copy, (pid, files)), "asked again: the same copy, made once"
        assert pid != os.getpid(), "the copy was made by a process of its own"
        assert copy.parent.parent == scene.memory and copy.name == "tree"
        assert _entries(copy) == _entries(scene.plain)
        assert files == sorted(str(p.relative_to(scene.plain)) for p in scene.plain.rglob("*.py"))
    assert _gone(copy), "the copy is removed on leaving"


def _fails(copy: Path) -> None:
    raise KitError(f"cannot snapshot the working copy {copy}: fatal: planted in {os.getpid()}")


def test_what_the_process_raises_is_raised_when_the_copy_is_asked_for(scene: Scene) -> None:
    planted = r"cannot snapshot the working copy .*: fatal: planted in (\d+)"
    with (
        scratch_copy_ahead("working-copy", scene.source, LEFT_OUT, _fails) as ready,
        pytest.raises(KitError, match=planted) as raised,
    ):
        ready()
    found = re.search(planted, str(raised.value))
    assert found and int(found[1]) != os.getpid(), "raised in a process of its own, raised here"


def test_where_memory_has_no_room_the_run_makes_the_copy_in_the_temp_dir(
    scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tree_copy, "memory_budget", lambda base: 4096)
    with scratch_copy_ahead("working-copy", scene.source, LEFT_OUT, _listed) as ready:
        copy, (pid, _) = ready()
        assert copy.parent.parent == scene.temp, "too large for memory: in the temp dir"
        assert pid == os.getpid(), "made again, by the run itself"
        assert _entries(copy) == _entries(scene.plain)
        assert not list(scene.memory.glob("*working-copy*/*")), "nothing left of it in memory"
    assert _gone(copy)


def test_a_process_with_threads_is_not_forked_the_run_makes_the_copy(scene: Scene) -> None:
    release = threading.Event()
    thread = threading.Thread(target=release.wait)
    thread.start()
    try:
        with scratch_copy_ahead("working-copy", scene.source, LEFT_OUT, _listed) as ready:
            copy, (pid, _) = ready()
            assert pid == os.getpid(), "forking beside a thread can deadlock: not forked"
            assert _entries(copy) == _entries(scene.plain)
    finally:
        release.set()
        thread.join()


def _waits(marker: Path, copy: Path) -> Path:
    marker.write_text(f"{os.getpid()} {copy}")
    time.sleep(120)
    return marker


def test_leaving_before_the_copy_is_asked_for_stops_its_process(
    scene: Scene, tmp_path: Path
) -> None:
    """A run that stops early (a refusal, an error, Ctrl-C) does not wait for the copy: its
    process is killed and the copy removed."""
    marker = tmp_path / "pid"
    began = time.monotonic()
    with (
        pytest.raises(KeyboardInterrupt),
        scratch_copy_ahead("working-copy", scene.source, LEFT_OUT, lambda c: _waits(marker, c)),
    ):
        while not marker.exists():
            assert time.monotonic() - began < 30, "no process began the copy"
            time.sleep(0.01)
        raise KeyboardInterrupt
    assert time.monotonic() - began < 60, "the run did not wait for the process"
    pid, copy = marker.read_text().split(" ", 1)
    assert not process_alive(int(pid))
    assert _gone(Path(copy)), "the copy is removed"


# a run killed while its copy is being made: the copy's process must die with it
_KILLED = """
import os, signal, sys, time
from pathlib import Path
from shimkit.system.tree_copy import scratch_copy_ahead

def waits(copy):
    Path(sys.argv[2]).write_text(f"{os.getpid()} {copy}")
    time.sleep(120)

with scratch_copy_ahead("working-copy", Path(sys.argv[1]), (), waits):
    began = time.monotonic()
    while not Path(sys.argv[2]).exists():
        assert time.monotonic() - began < 30, "no process began the copy"
        time.sleep(0.01)
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_killed_runs_copy_process_dies_with_it_and_the_next_run_removes_its_copy(
    scene: Scene, tmp_path: Path
) -> None:
    marker = tmp_path / "child"
    env = {**os.environ, "TMPDIR": str(scene.temp), "PYTHONPATH": str(SCRIPTS)}
    killed = subprocess.run(
        [sys.executable, "-c", _KILLED, str(scene.source), str(marker)], env=env, check=False
    )
    assert killed.returncode == -signal.SIGKILL
    pid, copy = marker.read_text().split(" ", 1)
    deadline = time.monotonic() + 30
    while process_alive(int(pid)) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not process_alive(int(pid)), "the copy's process outlived the run"
    assert Path(copy).exists()
    assert Path(copy).parent in remove_orphaned_scratch()
    assert not Path(copy).exists()
