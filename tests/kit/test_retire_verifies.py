"""``retire_shims.py`` verifies its own change on a working copy, writes only a verified result,
and leaves contracts true for the tree it runs on; step 5 tells "not done yet" from "broken"."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from kit_helpers import build_legacy_repo, commit_all, files_under, git, lint_imports, run_script

pytestmark = pytest.mark.slow

DEPRECATED_SHIM = "src/orchestration/mlflow_utils.py"


def retired_contract(root: Path) -> list[str]:
    text = (root / ".importlinter").read_text(encoding="utf-8")
    match = re.search(r"^\[importlinter:contract:retired\]\n(.*?)(?=^\[|\Z)", text, re.M | re.S)
    if match is None:
        return []
    body = match.group(1).split("modules =", 1)[1]
    return [line.strip() for line in body.splitlines() if line.startswith("    ")]


@pytest.fixture
def legacy(tmp_path: Path) -> Path:
    return build_legacy_repo(tmp_path / "legacy")


@pytest.mark.parametrize(
    "adopted",
    [
        pytest.param(True, id="after-step1", marks=pytest.mark.e2e),
        pytest.param(False, id="without-step1"),
    ],
)
def test_retiring_the_deprecated_shims_passes_and_leaves_lint_imports_green(
    legacy: Path, adopted: bool
) -> None:
    if adopted:
        step1 = run_script("step1_inventory.py", legacy, "--write-contracts", full_plan=True)
        assert step1.returncode == 0, step1.stdout + step1.stderr
        commit_all(legacy, "step 1")
    # retire_shims.py's one end-to-end run with the plan's real test paths (a real mlflow server)
    result = run_script("retire_shims.py", legacy, "--deprecated", "--write", full_plan=adopted)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "verification passed" in output
    assert "nothing outside tests uses the kept shims" not in output
    assert not (legacy / DEPRECATED_SHIM).exists()
    lint = lint_imports(legacy)
    assert lint.returncode == 0, lint.stdout
    # exactly the modules gone from this tree are listed as retired
    assert retired_contract(legacy) == ["orchestration.mlflow_utils"]
    assert re.search(r"pending: step 2, step 4", output), output


def test_a_change_that_fails_verification_is_not_written(legacy: Path) -> None:
    guard = legacy / "tests/tracking/test_the_shim_file.py"
    guard.write_text(
        "from pathlib import Path\n\n\n"
        "def test_the_deprecated_module_is_a_file() -> None:\n"
        f"    assert Path({DEPRECATED_SHIM!r}).is_file()\n",
        encoding="utf-8",
    )
    commit_all(legacy, "a test that the deprecated shim's file is there")
    before = files_under(legacy)
    result = run_script("retire_shims.py", legacy, "--deprecated", "--write")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "regressions: tests/tracking/test_the_shim_file.py" in output
    assert "your tree was not changed" in output
    assert files_under(legacy) == before


def test_a_failing_test_next_to_one_about_the_shim_is_still_a_regression(legacy: Path) -> None:
    """Only the tests that exercise the retired shim themselves are left for a person."""
    about = legacy / "tests/tracking/test_deprecated_shim.py"
    about.write_text(
        about.read_text(encoding="utf-8")
        + "\n\ndef test_the_shim_file_is_there() -> None:\n"
        + "    from pathlib import Path\n\n"
        + f"    assert Path({DEPRECATED_SHIM!r}).is_file()\n",
        encoding="utf-8",
    )
    commit_all(legacy, "another test in the file about the shim")
    result = run_script("retire_shims.py", legacy, "orchestration.mlflow_utils", "--write")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "test_deprecated_shim.py::test_the_shim_file_is_there" in output
    assert "test_deprecated_module_warns_on_import fails: it exercises a retired shim" in output


def test_step5_after_step3_alone_names_steps_2_and_4_as_pending(legacy: Path) -> None:
    assert run_script("step1_inventory.py", legacy, "--write-contracts").returncode == 0
    commit_all(legacy, "step 1")
    step3 = run_script("step3_remove_deprecated.py", legacy, "--write")
    assert step3.returncode == 0, step3.stderr
    commit_all(legacy, "step 3")
    step5 = run_script("step5_verify.py", legacy)
    output = step5.stdout + step5.stderr
    assert step5.returncode == 0, output
    assert "verification passed" in output
    assert "pending: step 2, step 4" in output
    assert "would delete orchestration.jobs.tracking.mlflow_utils" in output
    # the test about the retired shim is a visible row of its own, with the command to see it
    decision = next(line for line in output.splitlines() if "needs a decision" in line)
    assert "DECIDE" in decision and "test_deprecated_module_warns_on_import" in output
    shown = " ".join(output.replace("│", " ").split())
    assert "see: python -m pytest tests/tracking/test_deprecated_shim.py::" in shown, output
    assert "left for a person (" not in output


def _plant(root: Path, module: str, text: str) -> None:
    (root / "src/orchestration" / f"{module}.py").write_text(text, encoding="utf-8")
    commit_all(root, f"orchestration.{module}")


USES_THE_SHIM = "from orchestration.mlflow_utils import setup_mlflow_for_stage\n"


def _retired(root: Path) -> str:
    """The output of ``retire_shims.py --deprecated --write`` on ``root``, which must pass."""
    result = run_script("retire_shims.py", root, "--deprecated", "--write")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    return output


def test_a_module_that_never_imported_is_pre_existing_not_a_regression(legacy: Path) -> None:
    """The baseline of retire_shims.py imports nothing up front: what fails or warns after the
    change is imported again with the change undone on the copy, and judged against that."""
    _plant(legacy, "never_imported", USES_THE_SHIM + "import a_module_nobody_installed\n")
    _plant(
        legacy,
        "warns_already",
        "import warnings\n\n" + USES_THE_SHIM
        + 'warnings.warn("warns_already is old", DeprecationWarning, stacklevel=1)\n\n\n'
        + "def stage() -> object:  # code of its own: not a layer to retire\n"
        + "    return setup_mlflow_for_stage\n",
    )  # fmt: skip
    output = _retired(legacy)
    assert "verification passed" in output
    assert "pre-existing: orchestration.never_imported did not import before the change" in output
    assert "pre-existing DeprecationWarning importing orchestration.warns_already" in output
    assert not (legacy / DEPRECATED_SHIM).exists()


def test_a_failure_of_many_lines_is_one_line_of_the_verdict(legacy: Path) -> None:
    """A ``setup.py`` imported as a module exits with setuptools' usage text, whose last line
    starts ``error:``: printed as it is, it reads as the kit's own error line."""
    _plant(
        legacy,
        "setup_like",
        USES_THE_SHIM
        + "raise SystemExit(\n"
        + "    'usage: setup.py [global_opts] cmd1 [cmd1_opts]\\n'\n"
        + "    '   or: setup.py --help [cmd1 cmd2 ...]\\n\\n'\n"
        + "    \"error: invalid command 'fresh'\"\n"
        + ")\n",
    )  # fmt: skip
    output = _retired(legacy)
    assert (
        "pre-existing: orchestration.setup_like did not import before the change either: "
        "SystemExit: usage: setup.py [global_opts] cmd1 [cmd1_opts] |    or: setup.py --help "
        "[cmd1 cmd2 ...] | error: invalid command 'fresh'\n" in output
    ), output
    assert not [line for line in output.splitlines() if line.startswith("error:")], output


def test_a_module_that_fails_before_it_reaches_the_change_is_not_imported_again(
    legacy: Path,
) -> None:
    """Up to its failure it ran only code the change left alone: pre-existing by construction
    (as Django's modules that fail for want of settings), no import with the change undone. A
    module that fails the same way after running changed code (its package's ``__init__``, which
    the change rewrites) is still imported with the change undone and judged against that."""
    gated = legacy / "src/gated"
    gated.mkdir()
    (gated / "__init__.py").write_text("", encoding="utf-8")
    (gated / "settings_gate.py").write_text(
        "raise RuntimeError('settings are not configured')\n", encoding="utf-8"
    )
    (gated / "needs_settings.py").write_text(
        "import gated.settings_gate\nimport orchestration.uses_shim\n", encoding="utf-8"
    )
    _plant(legacy, "uses_shim", USES_THE_SHIM)
    _plant(legacy, "needs_settings", "import gated.settings_gate\nimport orchestration.uses_shim\n")
    output = _retired(legacy)
    assert (
        "pre-existing: gated.needs_settings fails before it reaches any changed module: "
        "RuntimeError: settings are not configured" in output
    )
    assert "gated.needs_settings did not import before the change" not in output
    # orchestration/__init__.py ran first, and the change rewrites it
    assert "orchestration/__init__.py" in git(legacy, "diff", "--name-only", "HEAD")
    assert (
        "pre-existing: orchestration.needs_settings did not import before the change either: "
        "RuntimeError: settings are not configured" in output
    )


def test_a_module_the_change_breaks_is_a_regression(legacy: Path) -> None:
    _plant(
        legacy,
        "reads_the_shim",
        "from pathlib import Path\n\n" + USES_THE_SHIM
        + 'SOURCE = (Path(__file__).parent / "mlflow_utils.py").read_text()\n',
    )  # fmt: skip
    before = files_under(legacy)
    result = run_script("retire_shims.py", legacy, "--deprecated", "--write")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert re.search(r"orchestration\.reads_the_shim: .*FileNotFoundError", output), output
    assert "your tree was not changed" in output
    assert files_under(legacy) == before


def _conftest(root: Path, text: str) -> None:
    conftest = root / "tests/conftest.py"
    conftest.write_text(conftest.read_text(encoding="utf-8") + "\n\n" + text, encoding="utf-8")
    commit_all(root, "a conftest that decides whether the tests can run")


def test_tests_that_cannot_run_before_the_change_either_are_not_judged(legacy: Path) -> None:
    """As on the sympy sources without hypothesis: the project's conftest refuses to load. The
    change did not cause that, so it does not fail the run; a warning says so."""
    _conftest(legacy, 'raise ImportError("hypothesis is a required dependency of this suite")\n')
    output = _retired(legacy)
    assert "verification passed" in output
    assert "not judged: the test run fails before the change too" in output
    assert "the tests could not run, before the change either" in output
    assert "hypothesis is a required dependency" in output


def test_a_change_that_stops_the_tests_from_running_fails(legacy: Path) -> None:
    _conftest(
        legacy,
        f'shim = __import__("pathlib").Path(__file__).parents[1] / "{DEPRECATED_SHIM}"\n'
        "if not shim.is_file():\n"
        '    raise ImportError("the deprecated shim is gone")\n',
    )
    before = files_under(legacy)
    result = run_script("retire_shims.py", legacy, "--deprecated", "--write")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "the test run itself failed" in output
    assert "at the baseline commit the same tests ran" in output
    assert files_under(legacy) == before
