"""run_tests + classify_failures on a real git repository with two commits."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from shimkit.verify import (
    PRE_EXISTING,
    REGRESSION,
    classify_failures,
    run_tests,
    temporary_worktree,
)
from shimkit.verify.worktree import WorktreeError

CALC_A = "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n"
CALC_B = CALC_A.replace("return a - b", "return a + b")
TESTS = """\
import pytest

from calc import add, sub


def test_add():
    assert add(1, 2) == 3


def test_always_broken():
    assert add(1, 1) == 3


class TestSub:
    def test_sub(self):
        assert sub(3, 1) == 2

    @pytest.mark.parametrize("n", [0, 1])
    def test_param(self, n):
        assert sub(n, 0) == n


@pytest.mark.skip(reason="not today")
def test_skipped():
    pass
"""


def _git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, text=True
    ).stdout.strip()


def _commit(root: Path, files: dict[str, str]) -> str:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "commit")
    return _git(root, "rev-parse", "HEAD")


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("repo")
    _git(root, "init", "-q", "-b", "main")
    _git(root, "config", "user.name", "Kit Test")
    _git(root, "config", "user.email", "kit@example.invalid")
    _git(root, "config", "commit.gpgsign", "false")
    (root / ".gitignore").write_text("__pycache__/\n")
    baseline = _commit(root, {"src/calc.py": CALC_A, "tests/test_calc.py": TESTS})
    _commit(
        root,
        {
            "src/calc.py": CALC_B,
            "tests/test_new.py": "def test_new():\n    assert False\n",
            "tests/test_import.py": "import not_a_module\n",
        },
    )
    return root, baseline


def test_run_tests_reports_per_test_outcomes(repo: tuple[Path, str]) -> None:
    root, _ = repo
    run = run_tests(root, "src", ["tests", "tests/missing_dir", "tests/nope.py::test_x"])
    assert run.exit_code == 1
    assert run.missing_paths == ("tests/missing_dir", "tests/nope.py::test_x")
    outcomes = {o.node_id: o.outcome for o in run.outcomes}
    assert outcomes == {
        "tests/test_calc.py::test_add": "passed",
        "tests/test_calc.py::test_always_broken": "failed",
        "tests/test_calc.py::TestSub::test_sub": "failed",
        "tests/test_calc.py::TestSub::test_param[0]": "passed",
        "tests/test_calc.py::TestSub::test_param[1]": "passed",
        "tests/test_calc.py::test_skipped": "skipped",
        "tests/test_new.py::test_new": "failed",
        "tests/test_import.py": "error",
    }
    assert (run.passed, run.collected) == (3, 8)
    assert "failed" in run.output_tail
    assert not list(root.rglob("__pycache__"))


def test_no_tests(repo: tuple[Path, str], tmp_path: Path) -> None:
    root, _ = repo
    run = run_tests(root, "src", ["tests/missing"])
    assert run.no_tests and run.outcomes == () and run.missing_paths == ("tests/missing",)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "helper.py").write_text("x = 1\n")
    run = run_tests(tmp_path, "src", ["tests"])
    assert run.no_tests and run.exit_code == 5


def test_classify_failures_against_the_baseline(repo: tuple[Path, str]) -> None:
    root, baseline = repo
    failures = run_tests(root, "src", ["tests"]).failures
    verdicts = classify_failures(root, "src", failures, baseline)
    assert verdicts == {
        "tests/test_calc.py::test_always_broken": PRE_EXISTING,
        "tests/test_calc.py::TestSub::test_sub": REGRESSION,
        "tests/test_new.py::test_new": REGRESSION,
        "tests/test_import.py": REGRESSION,
    }
    assert len(_git(root, "worktree", "list").splitlines()) == 1


def test_temporary_worktree_is_removed(repo: tuple[Path, str]) -> None:
    root, baseline = repo
    with temporary_worktree(root, baseline) as tree:
        assert (tree / "src" / "calc.py").read_text() == CALC_A
        assert not (tree / "tests" / "test_new.py").exists()
    assert not tree.exists()
    assert len(_git(root, "worktree", "list").splitlines()) == 1
    with (
        pytest.raises(WorktreeError, match="cannot check out nosuchref"),
        temporary_worktree(root, "nosuchref"),
    ):
        pass
    assert len(_git(root, "worktree", "list").splitlines()) == 1
