"""repo_status / require_clean / git_dir on real git repositories."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from shimkit.apply import RefusedError, head_commit, repo_status, require_clean
from shimkit.system.git import git_dir


def _git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, text=True
    ).stdout.strip()


def _repo(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    _git(path, "init", "-q", "-b", "main")
    _git(path, "config", "user.name", "Kit Test")
    _git(path, "config", "user.email", "kit@example.invalid")
    _git(path, "config", "commit.gpgsign", "false")
    return path


def _commit(root: Path, files: dict[str, str], message: str = "c") -> str:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", message)
    return _git(root, "rev-parse", "HEAD")


def test_not_a_repository(tmp_path: Path) -> None:
    state = repo_status(tmp_path)
    assert not state.is_repo and state.head is None and not state.clean
    assert git_dir(tmp_path) is None
    with pytest.raises(RefusedError, match="not a git repository"):
        require_clean(tmp_path, allow_dirty=False)
    assert require_clean(tmp_path, allow_dirty=True).is_repo is False


def test_empty_repository_has_no_head(tmp_path: Path) -> None:
    root = _repo(tmp_path / "r")
    state = repo_status(root)
    assert state.is_repo and state.head is None and state.dirty == ()


def test_clean_and_dirty(tmp_path: Path) -> None:
    root = _repo(tmp_path / "r")
    head = _commit(root, {"a.py": "a\n", "b.py": "b\n", "pkg/c.py": "c\n"})
    assert repo_status(root).head == head
    assert require_clean(root, allow_dirty=False).clean

    (root / "a.py").write_text("changed\n")
    (root / "pkg/c.py").unlink()
    (root / "new.py").write_text("untracked\n")
    _git(root, "mv", "b.py", "b2.py")
    state = repo_status(root)
    assert state.dirty == ("a.py", "b2.py", "pkg/c.py")
    assert state.untracked == ("new.py",)
    with pytest.raises(RefusedError) as raised:
        require_clean(root, allow_dirty=False)
    assert str(raised.value) == (
        "working tree has uncommitted changes: a.py, b2.py, pkg/c.py "
        "(commit or stash them, or pass --allow-dirty)"
    )
    assert require_clean(root, allow_dirty=True).dirty == state.dirty


def test_untracked_files_alone_do_not_refuse(tmp_path: Path) -> None:
    root = _repo(tmp_path / "r")
    _commit(root, {"a.py": "a\n"})
    (root / "notes.txt").write_text("x\n")
    assert require_clean(root, allow_dirty=False).untracked == ("notes.txt",)


def test_subdirectory_paths_are_relative_to_root(tmp_path: Path) -> None:
    top = _repo(tmp_path / "r")
    _commit(top, {"sub/a.py": "a\n", "other.py": "o\n"})
    (top / "sub/a.py").write_text("changed\n")
    (top / "other.py").write_text("changed\n")
    assert repo_status(top / "sub").dirty == ("a.py",)
    assert git_dir(top / "sub") == (top / ".git").resolve()


def test_head_commit_is_the_status_head_without_the_status(tmp_path: Path) -> None:
    outside = tmp_path / "plain"
    outside.mkdir()
    assert head_commit(outside) is None is repo_status(outside).head
    root = _repo(tmp_path / "repo")
    assert head_commit(root) is None is repo_status(root).head  # no commit yet
    first = _commit(root, {"a.py": "x = 1\n"})
    (root / "a.py").write_text("x = 2\n")  # dirty: the head is the same
    assert head_commit(root) == first == repo_status(root).head
    assert head_commit(root / "missing") is None


def test_require_clean_judges_the_status_it_is_handed(tmp_path: Path) -> None:
    """A caller that took the tree's status already hands it over (no second ``git status``):
    that status is the one judged."""
    root = _repo(tmp_path / "repo")
    _commit(root, {"a.py": "x = 1\n"})
    (root / "a.py").write_text("x = 2\n")
    state = repo_status(root)
    _git(root, "checkout", "--", "a.py")  # clean again, after the status was taken
    with pytest.raises(RefusedError, match=r"a\.py"):
        require_clean(root, allow_dirty=False, state=state)
    assert require_clean(root, allow_dirty=False).clean
