"""``migrate.py --write`` on a tree that already carries what real codebases carry before any
change (``tests/fixtures/traps``): every trap is reported for what it is, none is called a
regression, and the migration is written."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from kit_helpers import build_traps_repo, run_script

pytestmark = [pytest.mark.slow, pytest.mark.e2e]


@dataclass(frozen=True)
class Migrated:
    root: Path
    returncode: int
    output: str  # stdout and stderr together: what the user reads


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Migrated:
    root = build_traps_repo(tmp_path_factory.mktemp("traps") / "legacy")
    run = run_script("migrate.py", root, "--write")
    return Migrated(root, run.returncode, run.stdout + run.stderr)


def test_the_migration_passes_and_is_written(migrated: Migrated) -> None:
    assert migrated.returncode == 0, migrated.output
    assert "verification passed" in migrated.output
    assert not (migrated.root / "src/orchestration/mlflow_utils.py").exists()
    assert "migration written" in migrated.output


def test_junk_that_names_no_shim_is_skipped_and_listed(migrated: Migrated) -> None:
    assert "skipped notebooks/broken.ipynb:1" in migrated.output
    assert "skipped tests/tracking/test_syntax_error_on_purpose.py:3" in migrated.output
    assert (migrated.root / "notebooks/broken.ipynb").read_bytes() == b"-NoNewline\n"


def test_the_unrelated_upward_import_is_allowlisted_and_stays(migrated: Migrated) -> None:
    assert (
        "allowlisted legacy upward import: infrastructure.reporting.summary -> "
        "orchestration.jobs.tracking.trackers.base" in migrated.output
    )
    config = (migrated.root / ".importlinter").read_text(encoding="utf-8")
    assert (
        "infrastructure.reporting.summary -> orchestration.jobs.tracking.trackers.base" in config
    )


def test_the_warning_package_is_pre_existing_not_a_regression(migrated: Migrated) -> None:
    warning = (
        "pre-existing DeprecationWarning importing orchestration.stages.training: "
        "src/orchestration/stages/__init__.py: orchestration.stages is deprecated"
    )
    assert warning in migrated.output


def test_failing_tests_of_the_baseline_are_pre_existing(migrated: Migrated) -> None:
    for test in (
        "tests/tracking/test_known_failures.py::test_known_bug_config_dir_of_a_relative_path",
        "tests/tracking/test_known_failures.py::test_known_bug_summary_of_an_unknown_stage",
        "tests/tracking/test_syntax_error_on_purpose.py",
    ):
        # step 1 ran the plan's tests and recorded these: step 5 needs no re-run to say so
        assert f"pre-existing test failure (it failed at step 1): {test}" in migrated.output, test
    assert "regressions:" not in migrated.output
