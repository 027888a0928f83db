"""The plan's own test command replaces pytest discovery: a pytest command is read per test (its
``-x`` hides no failure), any other by its exit status, compared with the status before the
change. A baseline result recorded for the same content is reused, shown as reused; changed
content is run again. No test runs more than twice for one verdict."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from kit_helpers import (
    LAYER_TREE,
    build_legacy_repo,
    commit_all,
    files_under,
    kit_with_plan,
    run_script,
    write_tree,
)

pytestmark = pytest.mark.slow

TREE = LAYER_TREE


def _kit(tmp_path: Path, command: tuple[str, ...] | str) -> Path:
    return kit_with_plan(tmp_path / "kit", f"PLAN = replace(PLAN, test_command={command!r})")


def _runtests(exit_status: str) -> str:
    """A project's own runner (as Django's runtests.py): prints for people, exits 0 or not."""
    return f"""\
        import sys
        from pathlib import Path

        sys.path.insert(0, "src")
        import app.user

        print("Ran 3 tests in 0.001s\\n\\nOK")  # what a person reads; never the kit
        sys.exit({exit_status})
        """


@pytest.mark.parametrize(
    ("exit_status", "returncode", "expected"),
    [
        pytest.param("0 if app.user.VALUE == 1 else 1", 0, "exit status 0", id="passes"),
        pytest.param(
            "0 if Path('src/app/old.py').is_file() else 3",
            1,
            "exit status 3 after the change, 0 before it",
            id="broken-by-the-change",
        ),
        pytest.param("4", 0, "not judged: ", id="fails-before-too"),
    ],
)
def test_a_command_read_by_its_exit_status_is_judged_against_the_status_before(
    tmp_path: Path, exit_status: str, returncode: int, expected: str
) -> None:
    root = write_tree(tmp_path / "tree", {**TREE, "runtests.py": _runtests(exit_status)})
    commit_all(root)
    before = files_under(root)
    kit = _kit(tmp_path, (sys.executable, "runtests.py"))
    done = run_script("retire_shims.py", root, "app.old", "--write", kit=kit)
    output = done.stdout + done.stderr
    assert done.returncode == returncode, output
    assert expected in output
    if returncode:
        assert files_under(root) == before  # a verification that fails writes nothing
    else:
        assert not (root / "src/app/old.py").exists()
    if expected.startswith("not judged"):
        assert "fails before the change as well (exit status 4)" in output


def _counted_tests(counter: Path) -> str:
    return f"""\
        from pathlib import Path

        import app.user

        COUNTER = Path({str(counter)!r})


        def _ran(name: str) -> None:
            with COUNTER.open("a", encoding="utf-8") as runs:
                runs.write(name + "\\n")


        def test_known_bug() -> None:
            _ran("known_bug")
            assert app.user.VALUE == 2, "a bug nobody has fixed yet"


        def test_layer_file() -> None:
            _ran("layer_file")
            assert Path("src/app/old.py").is_file()


        def test_value() -> None:
            _ran("value")
            assert app.user.VALUE == 1
        """


def _runs(counter: Path) -> dict[str, int]:
    names = counter.read_text(encoding="utf-8").split() if counter.exists() else []
    counter.unlink(missing_ok=True)
    return {name: names.count(name) for name in sorted(set(names))}


def test_a_pytest_command_is_read_per_test_and_its_baseline_is_reused_for_the_same_content(
    tmp_path: Path,
) -> None:
    counter = tmp_path / "runs.txt"  # outside the tree: its content stays the same
    root = write_tree(tmp_path / "tree", {**TREE, "tests/test_app.py": _counted_tests(counter)})
    commit_all(root)
    before = files_under(root)
    kit = _kit(tmp_path, (sys.executable, "-m", "pytest", "-x", "-q", "tests"))

    first = run_script("retire_shims.py", root, "app.old", "--write", kit=kit)
    output = first.stdout + first.stderr
    assert first.returncode == 1, output
    # -x stops nothing: both failures are seen, each judged on its own
    assert "regressions: tests/test_app.py::test_layer_file" in output
    assert "pre-existing test failure: tests/test_app.py::test_known_bug" in output
    assert "reused the baseline test result" not in output
    assert files_under(root) == before
    # the failures ran again at the baseline, once: no test ran more than twice
    assert _runs(counter) == {"known_bug": 2, "layer_file": 2, "value": 1}

    again = run_script("retire_shims.py", root, "app.old", "--write", kit=kit)
    output = again.stdout + again.stderr
    assert again.returncode == 1, output
    assert "regressions: tests/test_app.py::test_layer_file" in output
    assert "pre-existing test failure: tests/test_app.py::test_known_bug" in output
    assert "reused the baseline test result recorded" in output
    assert _runs(counter) == {"known_bug": 1, "layer_file": 1, "value": 1}

    (root / "src/app/core.py").write_text("def make() -> int:\n    return 1 + 0\n")
    commit_all(root, "the same behaviour, other content")
    changed = run_script("retire_shims.py", root, "app.old", "--write", kit=kit)
    output = changed.stdout + changed.stderr
    assert changed.returncode == 1, output
    assert "reused the baseline test result" not in output
    assert _runs(counter) == {"known_bug": 2, "layer_file": 2, "value": 1}


def test_a_test_command_written_as_one_string_is_refused_in_one_line(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "tree", TREE)
    commit_all(root)
    done = run_script("retire_shims.py", root, "app.old", kit=_kit(tmp_path, "pytest -x tests"))
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.strip().splitlines() == [
        "error: the plan's test_command is one string ('pytest -x tests'): write it as words, "
        "as in ('pytest', '-x', 'tests'): fix scripts/consolidation_plan.py"
    ]


def test_a_test_command_that_names_no_program_is_refused_before_any_work(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "tree", TREE)
    commit_all(root)
    kit = _kit(tmp_path, ("runtets-typo", "--fast"))
    done = run_script("retire_shims.py", root, "app.old", "--write", kit=kit)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.strip().splitlines() == [
        f"error: the plan's test_command names runtets-typo, which is neither on PATH nor a "
        f"program under {root.resolve()}: fix scripts/consolidation_plan.py"
    ]


def test_step_5_judges_a_failure_by_step_1s_run_of_the_same_content(tmp_path: Path) -> None:
    """Step 1 ran the plan's test command on the tree step 5 compares with: a test that passed
    there and fails now is a regression without a run at the baseline commit."""
    counter = tmp_path / "runs.txt"
    legacy = build_legacy_repo(tmp_path / "legacy")
    write_tree(
        legacy,
        {
            "tests/tracking/test_shim_file.py": f"""\
                from pathlib import Path


                def test_the_deprecated_shim_is_a_file() -> None:
                    with Path({str(counter)!r}).open("a", encoding="utf-8") as runs:
                        runs.write("ran\\n")
                    assert Path("src/orchestration/mlflow_utils.py").is_file()
                """
        },
    )
    commit_all(legacy, "a test that the deprecated shim's file is there")
    command = (sys.executable, "-m", "pytest", "-q", "tests/tracking")
    kit = _kit(tmp_path, command)
    step1 = run_script("step1_inventory.py", legacy, "--write-contracts", kit=kit)
    assert step1.returncode == 0, step1.stdout + step1.stderr
    commit_all(legacy, "step 1")
    step3 = run_script("step3_remove_deprecated.py", legacy, "--write", kit=kit)
    assert step3.returncode == 0, step3.stdout + step3.stderr
    commit_all(legacy, "step 3")
    assert _runs(counter) == {"ran": 1}  # step 1's run; step 3 verifies nothing
    step5 = run_script("step5_verify.py", legacy, kit=kit)
    output = step5.stdout + step5.stderr
    assert step5.returncode == 1, output
    failing = "tests/tracking/test_shim_file.py::test_the_deprecated_shim_is_a_file"
    assert f"regressions: {failing}" in output
    assert "reused the baseline test result recorded" in output
    assert _runs(counter) == {"ran": 1}  # step 5's run, none at the baseline commit
