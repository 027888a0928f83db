"""What a run refuses, and what it only lists and goes on: refusals come first (before any import
check), name what blocks, and write nothing; junk that cannot matter never blocks."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from kit_helpers import build_legacy_repo, commit_all, files_under, quick_plan, run_script
from shimkit.cli import inventory_main, rewrite_main

pytestmark = pytest.mark.slow

DEPRECATED_SHIM = "src/orchestration/mlflow_utils.py"


@pytest.fixture
def legacy(tmp_path: Path) -> Path:
    return build_legacy_repo(tmp_path / "legacy")


def one_line_error(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: "), stderr
    return lines[0]


def test_a_plan_entry_missing_from_the_tree_is_refused_before_anything_is_written(
    legacy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = replace(
        quick_plan(), deprecated=("orchestration.mlflow_utils", "orchestration.no_such_shim")
    )
    before = files_under(legacy)
    status = inventory_main(plan, ["--root", str(legacy), "--write-contracts"])
    error = one_line_error(capsys.readouterr().err)
    assert status == 2
    assert "deprecated entry orchestration.no_such_shim" in error
    assert files_under(legacy) == before
    assert rewrite_main(plan, "consolidate", ["--root", str(legacy), "--write"]) == 2
    assert "orchestration.no_such_shim" in one_line_error(capsys.readouterr().err)
    assert files_under(legacy) == before


def test_a_kept_layer_missing_from_the_tree_is_refused(
    legacy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = replace(
        quick_plan(), keep=(*quick_plan().keep, "orchestration.jobs.tracking.utils.gone")
    )
    assert rewrite_main(plan, "update-imports", ["--root", str(legacy)]) == 2
    assert "keep orchestration.jobs.tracking.utils.gone" in one_line_error(capsys.readouterr().err)


def test_src_outside_root_is_refused(legacy: Path) -> None:
    result = run_script("step1_inventory.py", legacy, "--src", "../..")
    assert result.returncode == 2
    assert "lies outside --root" in one_line_error(result.stderr)


def test_junk_that_cannot_name_a_shim_is_listed_and_the_steps_go_on(legacy: Path) -> None:
    (legacy / "notebooks/broken.ipynb").write_bytes(b"-NoNewline\n")
    (legacy / "tests/tracking/test_invalid_on_purpose.py").write_text(
        "def test_(:\n    pass\n", encoding="utf-8"
    )
    commit_all(legacy, "junk")
    inventory = legacy / "inventory.json"
    step1 = run_script("step1_inventory.py", legacy, "--json", str(inventory))
    assert step1.returncode == 0, step1.stderr
    assert "skipped notebooks/broken.ipynb:1" in step1.stderr
    assert "skipped tests/tracking/test_invalid_on_purpose.py:1" in step1.stderr
    failures = json.loads(inventory.read_text(encoding="utf-8"))["parse_failures"]
    assert {f["path"]: f["blocks"] for f in failures} == {
        "notebooks/broken.ipynb": "",
        "tests/tracking/test_invalid_on_purpose.py": "",
    }
    step2 = run_script("step2_consolidate.py", legacy, "--write")
    assert step2.returncode == 0, step2.stderr
    assert not (legacy / "src/orchestration/jobs/tracking/mlflow_utils.py").exists()
    assert (legacy / "notebooks/broken.ipynb").read_bytes() == b"-NoNewline\n"


def test_an_unparsable_file_that_names_a_moved_module_blocks_only_that_step(legacy: Path) -> None:
    broken = legacy / "tests/tracking/test_broken_import.py"
    broken.write_text("from orchestration.mlflow_utils import (\n", encoding="utf-8")
    commit_all(legacy, "a broken test that names the deprecated shim")
    before = files_under(legacy)
    step3 = run_script("step3_remove_deprecated.py", legacy, "--write")
    assert step3.returncode == 2
    error = one_line_error(step3.stderr)
    assert "tests/tracking/test_broken_import.py:1" in error
    assert "orchestration.mlflow_utils" in error
    assert files_under(legacy) == before
    step2 = run_script("step2_consolidate.py", legacy, "--write")
    assert step2.returncode == 0, step2.stderr


def test_retire_refuses_a_blocking_file_before_importing_anything(legacy: Path) -> None:
    (legacy / "src/common/shared/broken.py").write_text(
        "from orchestration.mlflow_utils import (\n", encoding="utf-8"
    )
    commit_all(legacy, "a broken module")
    result = run_script("retire_shims.py", legacy, "--deprecated", "--write")
    assert result.returncode == 2
    assert "src/common/shared/broken.py:1" in one_line_error(result.stderr)
    assert "importing" not in result.stdout + result.stderr


DEPRECATED_PACKAGE = {
    "src/orchestration/legacy_tracking/__init__.py": (
        '"""Deprecated: the old tracking helpers."""\n\n'
        "import warnings\n\n"
        "from infrastructure.tracking.mlflow.runs import create_child_run\n\n"
        'warnings.warn("orchestration.legacy_tracking is deprecated", DeprecationWarning)\n\n'
        '__all__ = ["create_child_run"]\n'
    ),
    "src/orchestration/legacy_tracking/urls.py": (
        '"""Deprecated."""\n\n'
        "from infrastructure.tracking.mlflow.urls import get_mlflow_run_url\n\n"
        '__all__ = ["get_mlflow_run_url"]\n'
    ),
    "src/orchestration/jobs/report_links.py": (
        '"""Links to runs for job reports."""\n\n'
        "from orchestration.legacy_tracking.urls import get_mlflow_run_url\n\n\n"
        "def link(uri: str, experiment: str, run: str) -> str | None:\n"
        "    return get_mlflow_run_url(uri, experiment, run)\n"
    ),
}


def plant(root: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text, encoding="utf-8")
    commit_all(root, "planted")


def test_a_deprecated_package_is_retired_whole_with_its_submodules(legacy: Path) -> None:
    plant(legacy, DEPRECATED_PACKAGE)
    result = run_script("retire_shims.py", legacy, "orchestration.legacy_tracking", "--write")
    assert result.returncode == 0, result.stdout + result.stderr
    assert not (legacy / "src/orchestration/legacy_tracking/__init__.py").exists()
    assert not (legacy / "src/orchestration/legacy_tracking/urls.py").exists()
    links = (legacy / "src/orchestration/jobs/report_links.py").read_text(encoding="utf-8")
    assert "from infrastructure.tracking.mlflow.urls import get_mlflow_run_url" in links


def test_a_package_whose_submodule_holds_code_stays_whole_and_the_report_says_why(
    legacy: Path,
) -> None:
    files = dict(DEPRECATED_PACKAGE)
    files["src/orchestration/legacy_tracking/urls.py"] += "\n\ndef helper() -> int:\n    return 1\n"
    plant(legacy, files)
    before = files_under(legacy)
    result = run_script("retire_shims.py", legacy, "orchestration.legacy_tracking", "--write")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "error:" not in result.stderr
    assert "Layers left in place" in result.stdout
    row = next(
        line
        for line in result.stdout.splitlines()
        if "orchestration.legacy_tracking" in line and "urls" in line
    )
    assert "holds code besides re-exports" in result.stdout, result.stdout
    assert "submodule orchestration.legacy_tracking.urls" in row, result.stdout
    assert files_under(legacy) == before
