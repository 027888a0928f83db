"""The benchmark refuses to time the sdists when the packages their modules import are not
installed: their import checks would find every module failing and be timed on a tree that
cannot run (Django's whole retire looked 2.7x faster than it is)."""

from __future__ import annotations

import importlib.metadata
import sys
from pathlib import Path

import pytest

# the benchmark is a script of its folder, which imports its siblings by their own names
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import retire_benchmark


def _requirements(tmp_path: Path) -> Path:
    pytest_version = importlib.metadata.version("pytest")
    path = tmp_path / "requirements.txt"
    path.write_text(
        "# what the trees import\n"
        f"pytest=={pytest_version}\n"
        "pytest==0.0.1  # installed, at another version\n"
        "shimkit-surely-not-installed==1.0\n"
        "\n"
    )
    return path


def test_what_is_not_installed_at_its_pinned_version_is_missing(tmp_path: Path) -> None:
    missing = retire_benchmark.missing_requirements(_requirements(tmp_path))
    assert missing == ["pytest==0.0.1", "shimkit-surely-not-installed==1.0"]


def test_the_real_trees_are_refused_with_one_line_saying_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(retire_benchmark, "REAL_TREE_NEEDS", _requirements(tmp_path))
    monkeypatch.setattr(retire_benchmark, "REPO", tmp_path)
    # below a file: a benchmark that went on would fail at once making it, not download
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    cache = blocker / "cache"
    assert retire_benchmark.main(["--tree", "django", "--cache", str(cache)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert "pytest==0.0.1, shimkit-surely-not-installed==1.0" in error
    assert "pip install -r requirements.txt" in error
    assert not cache.exists()  # nothing downloaded

