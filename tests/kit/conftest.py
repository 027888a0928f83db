"""Shared helpers of the kit's tests: throw-away git repositories and a clean child environment.

Git never reads the user's or the system's configuration here (the identity is passed with
``-c``), so the tests behave the same on any machine.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
_IDENTITY = (
    "-c",
    "user.name=t",
    "-c",
    "user.email=t@example.invalid",
    "-c",
    "commit.gpgsign=false",
)
_NOT_COPIED = shutil.ignore_patterns("__pycache__", ".pytest_cache", ".mypy_cache", ".git")


class Repos:
    """Make, inspect and commit throw-away git repositories."""

    root = REPO_ROOT  # this repository (the kit's home)

    def __init__(self, factory: pytest.TempPathFactory) -> None:
        self._factory = factory

    @staticmethod
    def env(**extra: str) -> dict[str, str]:
        """The environment for a child process, without this repo's PYTHONPATH or git config."""
        env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME"}}
        env.update(GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1")
        env.update(extra)
        return env

    @classmethod
    def git(cls, root: Path, *args: str) -> str:
        """``git -C root args``; fails the test with git's output if git fails."""
        done = subprocess.run(
            ["git", "-C", str(root), *_IDENTITY, *args],
            capture_output=True,
            text=True,
            env=cls.env(),
            check=False,
        )
        if done.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
        return done.stdout

    @classmethod
    def commit_all(cls, root: Path, message: str) -> None:
        """Stage everything and commit (an empty commit if nothing changed)."""
        cls.git(root, "add", "-A")
        cls.git(root, "commit", "-q", "--allow-empty", "-m", message)

    @staticmethod
    def copy_tree(source: Path, dest: Path) -> None:
        """Copy a directory, skipping caches and ``.git``."""
        shutil.copytree(source, dest, ignore=_NOT_COPIED, dirs_exist_ok=True)

    def init(self, dest: Path, source: Path | None = None) -> Path:
        """A git repository at ``dest`` holding a copy of ``source`` (if given), committed."""
        if source is not None:
            self.copy_tree(source, dest)
        dest.mkdir(parents=True, exist_ok=True)
        self.git(dest, "init", "-q", "-b", "main")
        self.commit_all(dest, "initial")
        return dest

    def make(self, source: Path | None = None, name: str = "repo") -> Path:
        """A new committed repository in a fresh temporary directory."""
        return self.init(self._factory.mktemp(name) / name, source)


@pytest.fixture(scope="session")
def repos(tmp_path_factory: pytest.TempPathFactory) -> Repos:
    return Repos(tmp_path_factory)


@pytest.fixture
def git_repo(tmp_path: Path, repos: Repos) -> Callable[..., Path]:
    """``git_repo(source=None, name="repo")``: a committed git repo under the test's tmp dir."""

    def make(source: Path | None = None, name: str = "repo") -> Path:
        return repos.init(tmp_path / name, source)

    return make


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "slow: runs the real scripts end to end in subprocesses (seconds to a minute)"
    )
