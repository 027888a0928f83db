"""Fixtures of the kit's tests: throw-away git repositories (see ``kit_helpers.Repos``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from kit_helpers import Repos


@pytest.fixture(autouse=True)
def own_temp_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test's runs get a temp dir of their own (beside its tmp_path, which some tests list):
    a run removes what killed runs left in its temp dir and says so on stderr, so a test that
    kills a run must not speak into another's output."""
    monkeypatch.setenv("TMPDIR", str(tmp_path_factory.mktemp("tmpdir")))


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
    config.addinivalue_line(
        "markers",
        "e2e: a whole run with the plan's real test paths (a real mlflow server) or the kill "
        "battery; `-m 'not e2e'` leaves them out of a quick run",
    )
