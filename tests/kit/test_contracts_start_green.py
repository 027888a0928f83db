"""Step 1 ``--write-contracts`` writes contracts that the real ``lint-imports`` finds green on the
tree they were written for, whatever that tree already carries, or writes nothing and names the
contract and the import that break."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from consolidation_plan import PLAN
from kit_helpers import build_legacy_repo, commit_all, files_under, lint_imports, quick_plan
from shimkit.cli import import_smoke_main, inventory_main

pytestmark = pytest.mark.slow

UPWARD = {
    "src/infrastructure/reporting/__init__.py": "",
    "src/infrastructure/reporting/summary.py": (
        "from orchestration.jobs.tracking.trackers.base import MLflowTracker\n\n\n"
        "def describe(tracker: MLflowTracker) -> str:\n"
        "    return tracker.experiment_id\n"
    ),
}
WARNS = (
    "import warnings\n\n"
    'warnings.warn("common.old_names is deprecated", DeprecationWarning, stacklevel=2)\n'
)


@pytest.fixture
def legacy(tmp_path: Path) -> Path:
    return build_legacy_repo(tmp_path / "legacy")


def plant(root: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text, encoding="utf-8")
    commit_all(root, "planted")


def test_an_unrelated_upward_import_is_allowlisted_and_lint_imports_is_green(
    legacy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plant(legacy, UPWARD)
    assert lint_imports(legacy).returncode != 0, "the copied contracts start red on this tree"
    assert inventory_main(quick_plan(), ["--root", str(legacy), "--write-contracts"]) == 0
    out = capsys.readouterr().out
    assert (
        "allowlisted legacy upward import: infrastructure.reporting.summary -> "
        "orchestration.jobs.tracking.trackers.base" in out
    )
    assert "lint-imports: green" in out
    lint = lint_imports(legacy)
    assert lint.returncode == 0, lint.stdout


def test_a_layer_the_tree_lacks_is_written_optional_with_a_warning(
    legacy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = replace(
        quick_plan(), layers=("orchestration", "infrastructure", "platform_core", "common")
    )
    assert inventory_main(plan, ["--root", str(legacy), "--write-contracts"]) == 0
    captured = capsys.readouterr()
    assert "layer platform_core is not in this tree" in captured.err
    config = (legacy / ".importlinter").read_text(encoding="utf-8")
    assert "    (platform_core)\n" in config
    assert lint_imports(legacy).returncode == 0


def test_contracts_that_cannot_start_green_are_not_written(
    legacy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    team_contract = (
        "\n[importlinter:contract:no-mlflow-in-common]\n"
        "name = common never imports infrastructure\n"
        "type = forbidden\n"
        "source_modules =\n    infrastructure.tracking.mlflow.hash_utils\n"
        "forbidden_modules =\n    common.shared.hash_utils\n"
    )
    config = legacy / ".importlinter"
    config.write_text(config.read_text(encoding="utf-8") + team_contract, encoding="utf-8")
    commit_all(legacy, "the team's own contract, already broken")
    before = files_under(legacy)
    assert inventory_main(quick_plan(), ["--root", str(legacy), "--write-contracts"]) == 1
    out = capsys.readouterr().out
    assert "common never imports infrastructure" in out
    assert "infrastructure.tracking.mlflow.hash_utils -> common.shared.hash_utils" in out
    assert "nothing was written" in out
    assert files_under(legacy) == before


@pytest.mark.parametrize(
    ("layers", "reason"),
    [
        (
            ("orchestration", "infrastrcture", "common"),
            "the plan's layer 'infrastrcture' is not a package of this tree: 'infrastructure'?",
        ),
        (
            ("orchestration",),
            "the plan's layers name 1 package(s) this tree has (orchestration): a layers "
            "contract needs two or more",
        ),
    ],
    ids=["typo", "one layer"],
)
def test_layers_that_would_check_nothing_are_refused(
    legacy: Path, capsys: pytest.CaptureFixture[str], layers: tuple[str, ...], reason: str
) -> None:
    before = files_under(legacy)
    plan = replace(quick_plan(), layers=layers)
    assert inventory_main(plan, ["--root", str(legacy), "--write-contracts"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and reason in err[0], err
    assert files_under(legacy) == before


def test_the_import_smoke_starts_green_and_a_warning_the_plan_does_not_retire_fails(
    legacy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert import_smoke_main(PLAN, ["--root", str(legacy)]) == 0
    out = capsys.readouterr().out
    assert "warn only through layers the plan retires (orchestration.mlflow_utils)" in out
    assert "import smoke: OK" in out

    plant(legacy, {"src/common/old_names.py": WARNS})
    assert import_smoke_main(PLAN, ["--root", str(legacy)]) == 1
    out = capsys.readouterr().out
    assert "common.old_names" in out and "common.old_names is deprecated" in out
