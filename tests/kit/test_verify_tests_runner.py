"""The pytest runner on real git repositories and real pytest runs.

The project is ``tests/fixtures/pytest_traps`` (see its README): a baseline commit and a later one,
under pytest configurations that try to fool the runner (``addopts``, ini files, a chatty conftest,
a local plugin, odd parametrised ids, files that do not collect).
"""

from __future__ import annotations

import importlib.util
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from kit_helpers import REPO, Repos, commit_all, git, process_alive
from shimkit.verify import (
    PRE_EXISTING,
    REGRESSION,
    classify_failures,
    collect_node_ids,
    compare_with_baseline,
    run_tests,
    temporary_worktree,
)
from shimkit.verify.worktree import WorktreeError

TRAPS = REPO / "tests" / "fixtures" / "pytest_traps"
CALC = "tests/test_calc.py"
OUTCOMES = "tests/test_outcomes.py"

# how pytest ends every test of the later commit (see the fixture's tests)
LATER_OUTCOMES = {
    f"{CALC}::test_add": "passed",
    f"{CALC}::test_always_broken": "failed",
    f"{CALC}::TestSub::test_sub": "failed",
    f"{CALC}::TestSub::test_zero[0]": "passed",
    f"{CALC}::TestSub::test_zero[1]": "passed",
    f"{CALC}::test_table[add one and one]": "passed",
    f"{CALC}::test_table[add::wrong]": "failed",
    f"{CALC}::test_table[[sub] 3-1]": "failed",
    "tests/test_later_fixed.py::test_mul": "failed",
    "tests/test_new.py::test_new": "failed",
    f"{OUTCOMES}::test_setup_error": "error",
    f"{OUTCOMES}::test_teardown_error": "error",
    f"{OUTCOMES}::test_skipped": "skipped",
    f"{OUTCOMES}::test_xfail": "xfailed",
    f"{OUTCOMES}::test_xpass": "xpassed",
    f"{OUTCOMES}::test_xpass_strict": "failed",
    f"{OUTCOMES}::test_plugin_fixture": "passed",
}
# files of the later commit that do not collect, and the last line of pytest's error
LATER_COLLECTION_ERRORS = {
    "tests/test_does_not_import.py": "E   ModuleNotFoundError: No module named 'not_a_module'",
    "tests/test_later_broken.py": "E   SyntaxError: invalid syntax",
}
VERDICTS = {
    f"{CALC}::test_always_broken": PRE_EXISTING,
    f"{CALC}::TestSub::test_sub": REGRESSION,  # calc.sub breaks in the later commit
    f"{CALC}::test_table[add::wrong]": PRE_EXISTING,
    f"{CALC}::test_table[[sub] 3-1]": REGRESSION,
    "tests/test_later_fixed.py::test_mul": PRE_EXISTING,  # its file did not collect at baseline
    "tests/test_new.py::test_new": REGRESSION,  # not there at baseline
    f"{OUTCOMES}::test_setup_error": PRE_EXISTING,
    f"{OUTCOMES}::test_teardown_error": PRE_EXISTING,
    f"{OUTCOMES}::test_xpass_strict": PRE_EXISTING,
    "tests/test_does_not_import.py": PRE_EXISTING,  # did not collect at baseline either
    "tests/test_later_broken.py": REGRESSION,  # collected and passed at baseline
}

# config file -> its text; every variant but the fixture's own replaces its pytest.ini
CONFIGS: dict[str, tuple[str, str] | None] = {
    "pytest.ini: -v --tb=line -rA": None,
    "pytest.ini: -q -x": ("pytest.ini", "[pytest]\naddopts = -q -x\n"),
    "tox.ini": ("tox.ini", "[pytest]\naddopts = -p no:cacheprovider --tb=native -rfE\n"),
    "setup.cfg": (
        "setup.cfg",
        "[tool:pytest]\naddopts = -p no:junitxml -p no:doctest --tb=no -qq\n",
    ),
    "pyproject.toml": (
        "pyproject.toml",
        '[tool.pytest.ini_options]\naddopts = "-x -vv --junitxml=junit.xml"\n'
        'filterwarnings = ["error"]\n',
    ),
}


@dataclass(frozen=True)
class Traps:
    root: Path  # at the later commit
    baseline: str


@pytest.fixture(scope="module", params=list(CONFIGS), ids=list(CONFIGS))
def traps(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Traps:
    root = tmp_path_factory.mktemp("traps") / "project"
    Repos.copy_tree(TRAPS / "baseline", root)
    config = CONFIGS[request.param]
    if config is not None:
        (root / "pytest.ini").unlink()
        (root / config[0]).write_text(config[1])
    commit_all(root, "baseline")
    baseline = git(root, "rev-parse", "HEAD").strip()
    Repos.copy_tree(TRAPS / "later", root)
    commit_all(root, "later")
    return Traps(root, baseline)


def _untracked(root: Path) -> set[str]:
    status = git(root, "status", "--porcelain", "--untracked-files=all", "--ignored")
    return {line[3:] for line in status.splitlines()}


def test_outcomes_are_those_pytest_reached(traps: Traps) -> None:
    run = run_tests(traps.root, "src", ["tests"])
    assert {o.node_id: o.outcome for o in run.outcomes} == LATER_OUTCOMES, run.output_tail
    assert set(run.node_ids) == set(LATER_OUTCOMES)
    errors = {e.node_id: e.message.splitlines()[-1] for e in run.collection_errors}
    assert errors == LATER_COLLECTION_ERRORS
    messages = {o.node_id: o.message for o in run.outcomes}
    assert messages[f"{CALC}::test_always_broken"] == "assert 2 == 3"
    assert messages[f"{OUTCOMES}::test_setup_error"] == "RuntimeError: setup exploded"
    assert messages[f"{OUTCOMES}::test_teardown_error"] == "RuntimeError: teardown exploded"
    assert messages[f"{OUTCOMES}::test_xfail"] == "known bug"
    assert (run.exit_code, run.problem, run.ok, run.no_tests) == (1, "", False, False)
    assert run.tests_failed and not run.run_failed
    assert set(run.failures) == set(VERDICTS)
    assert (run.passed, run.collected) == (5, 17)
    # pytest's cache and bytecode stay out of the tree; a junit file the project asks for is its own
    assert _untracked(traps.root) <= {"junit.xml"}


def test_failures_are_told_from_those_at_the_baseline(traps: Traps) -> None:
    comparison = compare_with_baseline(traps.root, "src", list(VERDICTS), traps.baseline)
    assert comparison.baseline is not None and not comparison.undecided
    assert dict(comparison.verdicts) == VERDICTS, comparison.baseline.output_tail
    assert len(git(traps.root, "worktree", "list").splitlines()) == 1


ONE_CONFIG = pytest.mark.parametrize("traps", list(CONFIGS)[:1], indirect=True)


@ONE_CONFIG
def test_classify_failures_gives_one_verdict_per_failure(traps: Traps) -> None:
    failures = [f"{CALC}::test_always_broken", "tests/test_new.py::test_new"]
    assert classify_failures(traps.root, "src", failures, traps.baseline) == {
        f"{CALC}::test_always_broken": PRE_EXISTING,
        "tests/test_new.py::test_new": REGRESSION,
    }


def test_node_ids_are_collected_through_the_probe(traps: Traps) -> None:
    ids = collect_node_ids(traps.root, "src", [CALC, "tests/nope.py"])
    assert ids == tuple(node for node in LATER_OUTCOMES if node.startswith(CALC))


def test_node_ids_can_be_run_whatever_they_contain(traps: Traps) -> None:
    wanted = [f"{CALC}::test_table[add::wrong]", f"{CALC}::TestSub", "./tests/test_new.py"]
    run = run_tests(traps.root, "src", wanted)
    assert {o.node_id: o.outcome for o in run.outcomes} == {
        f"{CALC}::test_table[add::wrong]": "failed",
        f"{CALC}::TestSub::test_sub": "failed",
        f"{CALC}::TestSub::test_zero[0]": "passed",
        f"{CALC}::TestSub::test_zero[1]": "passed",
        "tests/test_new.py::test_new": "failed",
    }
    assert not run.run_failed and not run.collection_errors


@ONE_CONFIG
def test_temporary_worktree_is_removed(traps: Traps) -> None:
    with temporary_worktree(traps.root, traps.baseline) as tree:
        assert "def test_fine_at_baseline():" in (tree / "tests/test_later_broken.py").read_text()
        assert not (tree / "tests" / "test_new.py").exists()
    assert not tree.exists()
    assert len(git(traps.root, "worktree", "list").splitlines()) == 1
    with (
        pytest.raises(WorktreeError, match="cannot check out nosuchref"),
        temporary_worktree(traps.root, "nosuchref"),
    ):
        pass
    assert len(git(traps.root, "worktree", "list").splitlines()) == 1


def _project(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


PASSING = "def test_passes():\n    pass\n"
HAS_XDIST = importlib.util.find_spec("xdist") is not None

BROKEN_RUNS = [
    pytest.param(
        {"pytest.ini": "[pytest]\naddopts = -n 2\n", "tests/test_a.py": PASSING},
        "usage error",
        "unrecognized arguments: -n",
        id="usage error (-n without xdist)",
        marks=pytest.mark.skipif(HAS_XDIST, reason="xdist is installed: -n is valid here"),
    ),
    pytest.param(
        {
            "conftest.py": "def pytest_collection_modifyitems(items):\n"
            "    raise RuntimeError('hook exploded')\n",
            "tests/test_a.py": PASSING,
        },
        "internal error",
        "RuntimeError: hook exploded",
        id="internal error",
    ),
    pytest.param(
        {"tests/test_a.py": "import pytest\n\ndef test_stop():\n    pytest.exit('stop now')\n"},
        "interrupted",
        "stop now",
        id="interrupted",
    ),
    pytest.param(
        {"tests/test_a.py": "import os\n\ndef test_dies():\n    os._exit(0)\n"},
        "before the kit's probe plugin wrote its report",
        "test session starts",
        id="crash before the report",
    ),
    pytest.param(
        {
            "conftest.py": "def pytest_sessionfinish(session):\n    session.exitstatus = 1\n",
            "tests/test_a.py": PASSING,
        },
        "reported no failing test",
        "1 passed",
        id="failed status without a failing test",
    ),
    pytest.param(
        {
            "conftest.py": "def pytest_runtest_protocol(item):\n    return True\n",
            "tests/test_a.py": PASSING,
        },
        "1 collected tests never ran (the first: tests/test_a.py::test_passes)",
        "test session starts",
        id="tests that never ran",
    ),
]


@pytest.mark.parametrize(("files", "problem", "last_lines"), BROKEN_RUNS)
def test_a_broken_run_is_a_failure_with_the_last_lines(
    tmp_path: Path, files: dict[str, str], problem: str, last_lines: str
) -> None:
    run = run_tests(_project(tmp_path, files), "src", ["tests"])
    assert run.run_failed and problem in run.problem, run.problem
    assert last_lines in run.output_tail, run.output_tail
    assert not run.ok and not run.no_tests


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_a_timeout_kills_pytest_and_its_children(tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild.pid"
    hanging = f"""\
import subprocess, sys, time
from pathlib import Path

def test_hangs():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    Path({str(pid_file)!r}).write_text(str(child.pid))
    time.sleep(600)
"""
    root = _project(tmp_path / "project", {"tests/test_hang.py": hanging})
    run = run_tests(root, "src", ["tests"], timeout=8)
    assert run.run_failed and run.exit_code is None
    assert run.problem == "pytest did not finish within 8 s: it and its children were killed"
    assert "test session starts" in run.output_tail, run.output_tail
    assert not run.ok and not run.no_tests and run.passed == 0
    grandchild = int(pid_file.read_text())
    deadline = time.monotonic() + 30
    while process_alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not process_alive(grandchild)


def test_no_paths_means_no_tests(tmp_path: Path) -> None:
    for paths in ([], ["tests/missing", "tests/nope.py::test_x"]):
        run = run_tests(tmp_path, "src", paths)
        assert run.no_tests and not run.run_failed and not run.tests_failed, run
        assert run.outcomes == () and run.missing_paths == tuple(paths)
    _project(tmp_path, {"tests/helper.py": "x = 1\n"})
    run = run_tests(tmp_path, "src", ["tests"])  # pytest runs and finds no test
    assert run.no_tests and run.exit_code == 5 and not run.run_failed


def test_a_baseline_that_cannot_run_leaves_every_failure_a_regression(tmp_path: Path) -> None:
    root = _project(tmp_path, {"conftest.py": "import not_there\n", "tests/test_a.py": PASSING})
    commit_all(root, "baseline: the conftest does not import")
    baseline = git(root, "rev-parse", "HEAD").strip()
    _project(root, {"conftest.py": "", "tests/test_a.py": "def test_a():\n    assert False\n"})
    commit_all(root, "later")
    comparison = compare_with_baseline(root, "src", ["tests/test_a.py::test_a"], baseline)
    assert comparison.undecided and comparison.baseline is not None
    assert "usage error" in comparison.baseline.problem
    assert "No module named 'not_there'" in comparison.baseline.output_tail
    assert dict(comparison.verdicts) == {"tests/test_a.py::test_a": REGRESSION}


def test_the_baseline_has_the_modules_git_ignores_but_the_tree_has(tmp_path: Path) -> None:
    """A version module setuptools-scm writes is ignored by git but imported by the package: the
    baseline's worktree has it too, so a test the change breaks is a regression, not a failure
    "before the change" (the round-trip battery found emcee's tests excused so)."""
    root = _project(
        tmp_path,
        {
            ".gitignore": "src/pkg/_version.py\n",
            "pyproject.toml": '[tool.pytest.ini_options]\npythonpath = ["src"]\n',
            "src/pkg/__init__.py": "from pkg._version import VERSION\n",
            "src/pkg/_version.py": "VERSION = '1.0'\n",
            "src/pkg/layer.py": "VALUE = 1\n",
            "tests/test_a.py": "import importlib\n\n\ndef test_a():\n"
            "    assert importlib.import_module('pkg.layer').VALUE == 1\n",
        },
    )
    commit_all(root, "baseline")
    baseline = git(root, "rev-parse", "HEAD").strip()
    (root / "src/pkg/layer.py").unlink()
    commit_all(root, "the layer is gone")
    comparison = compare_with_baseline(root, "src", ["tests/test_a.py::test_a"], baseline)
    assert dict(comparison.verdicts) == {"tests/test_a.py::test_a": REGRESSION}
    assert comparison.baseline is not None and not comparison.baseline.run_failed


def test_a_run_tells_how_far_it_is_while_it_runs(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_slow.py").write_text(
        "import time\n\nimport pytest\n\n\n"
        "@pytest.mark.parametrize('n', range(4))\n"
        "def test_slow(n: int) -> None:\n    time.sleep(0.6)\n"
    )
    heard: list[tuple[float, int, int | None]] = []
    run = run_tests(tmp_path, "src", ["tests"], progress=lambda *beat: heard.append(beat))
    assert run.passed == 4
    assert len(heard) >= 1, "a run of over two seconds is heard from at least once"
    assert [elapsed for elapsed, _, _ in heard] == sorted(elapsed for elapsed, _, _ in heard)
    # None until pytest has collected, then the number collected
    assert {total for _, _, total in heard} <= {None, 4} and heard[-1][2] == 4, heard
    assert all(0 <= done <= 4 for _, done, _ in heard)
    assert [done for _, done, _ in heard] == sorted(done for _, done, _ in heard)
