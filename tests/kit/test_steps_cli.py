"""The step scripts as a user runs them: dry runs, --check, refusals, and all-or-nothing writes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from kit_helpers import build_legacy_repo, commit_all, files_under, git, run_script

NESTED_SHIM = "src/orchestration/jobs/tracking/mlflow_utils.py"
TRAINING_TRACKER = "src/orchestration/jobs/tracking/trackers/training_tracker.py"


@pytest.fixture
def legacy(tmp_path: Path) -> Path:
    return build_legacy_repo(tmp_path / "legacy")


def git_head(root: Path) -> str:
    return git(root, "rev-parse", "HEAD").strip()


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def test_without_write_a_step_prints_the_diff_and_changes_nothing(legacy: Path) -> None:
    before = files_under(legacy)
    result = run_script("step2_consolidate.py", legacy)
    assert result.returncode == 0, result.stderr
    assert f"--- a/{NESTED_SHIM}" in result.stdout
    assert "+++ /dev/null" in result.stdout
    assert "+from orchestration.jobs.tracking.utils.mlflow_utils import (" in result.stdout, (
        "the training tracker's import moves to the kept layer"
    )
    assert files_under(legacy) == before


def test_check_exits_1_while_changes_are_pending(legacy: Path) -> None:
    before = files_under(legacy)
    assert run_script("step2_consolidate.py", legacy, "--check").returncode == 1
    assert files_under(legacy) == before


def test_write_deletes_the_nested_shim_and_moves_its_importers(legacy: Path) -> None:
    result = run_script("step2_consolidate.py", legacy, "--write")
    assert result.returncode == 0, result.stderr
    assert not (legacy / NESTED_SHIM).exists()
    tracker = (legacy / TRAINING_TRACKER).read_text()
    assert "from orchestration.jobs.tracking.utils.mlflow_utils import (" in tracker
    assert "orchestration.jobs.tracking.mlflow_utils " not in tracker
    again = run_script("step2_consolidate.py", legacy, "--allow-dirty", "--write")
    assert again.returncode == 0
    assert "nothing to do" in again.stdout


def test_write_refuses_a_dirty_tree_unless_allowed(legacy: Path) -> None:
    tracker = legacy / TRAINING_TRACKER
    tracker.write_text(tracker.read_text() + "\n# local edit\n")
    before = files_under(legacy)
    refused = run_script("step2_consolidate.py", legacy, "--write")
    assert refused.returncode == 2
    assert "uncommitted changes" in one_line_error(refused)
    assert TRAINING_TRACKER in refused.stderr
    assert files_under(legacy) == before
    allowed = run_script("step2_consolidate.py", legacy, "--write", "--allow-dirty")
    assert allowed.returncode == 0, allowed.stderr
    assert tracker.read_text().endswith("# local edit\n")


def test_write_refuses_a_tree_that_is_not_a_git_repository(legacy: Path) -> None:
    shutil.rmtree(legacy / ".git")
    refused = run_script("step2_consolidate.py", legacy, "--write")
    assert refused.returncode == 2
    assert "not a git repository" in one_line_error(refused)


def test_a_file_that_does_not_parse_is_named_and_refused(legacy: Path) -> None:
    # it names the module the step retires: its references cannot be known
    (legacy / "src/orchestration/broken.py").write_text(
        "def stage(:\n    from orchestration.mlflow_utils import setup_mlflow_for_stage\n"
    )
    commit_all(legacy)
    before = files_under(legacy)
    refused = run_script("step3_remove_deprecated.py", legacy, "--write")
    assert refused.returncode == 2
    assert "src/orchestration/broken.py:1 does not parse" in one_line_error(refused)
    assert files_under(legacy) == before


def test_a_file_in_a_wrong_encoding_is_named_and_refused(legacy: Path) -> None:
    (legacy / "src/orchestration/latin.py").write_bytes(
        b"from orchestration.jobs.tracking import mlflow_utils\nNAME = '\xe9t\xe9'\n"
    )
    commit_all(legacy)
    refused = run_script("step2_consolidate.py", legacy, "--write")
    assert refused.returncode == 2
    assert "src/orchestration/latin.py" in one_line_error(refused)


def test_a_missing_source_directory_is_bad_input(legacy: Path) -> None:
    refused = run_script("step2_consolidate.py", legacy, "--src", "lib")
    assert refused.returncode == 2
    assert "lib" in one_line_error(refused)


def test_a_failure_while_writing_leaves_every_file_as_it_was(legacy: Path) -> None:
    if shutil.which("chattr") is None:
        pytest.skip("chattr is needed to make a file unwritable for root")
    locked = legacy / TRAINING_TRACKER
    if subprocess.run(["chattr", "+i", str(locked)], capture_output=True).returncode:
        pytest.skip("this filesystem has no immutable flag")
    try:
        before = files_under(legacy)
        failed = run_script("step2_consolidate.py", legacy, "--write")
        assert failed.returncode == 2
        assert "training_tracker.py" in one_line_error(failed)
        assert files_under(legacy) == before
    finally:
        subprocess.run(["chattr", "-i", str(locked)], check=True)


def test_a_file_fissix_cannot_parse_is_rewritten_through_libcst(legacy: Path) -> None:
    stage = legacy / "src/orchestration/stage_router.py"
    stage.write_text(
        "from orchestration.mlflow_utils import setup_mlflow_for_stage\n"
        "\n"
        "\n"
        "def route(stage: str) -> str:\n"
        "    match stage:\n"
        '        case "hpo":\n'
        "            return setup_mlflow_for_stage(stage)\n"
        "        case _:\n"
        '            return ""\n'
    )
    commit_all(legacy)
    result = run_script("step3_remove_deprecated.py", legacy, "--write")
    assert result.returncode == 0, result.stderr
    rewritten = stage.read_text()
    assert rewritten.startswith(
        "from infrastructure.tracking.mlflow.setup import setup_mlflow_for_stage\n"
    )
    assert 'case "hpo":' in rewritten


def changed_lines(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[str]]:
    """Per cell id, the lines of its source that differ, as ``"old -> new"``."""
    old_cells = {cell["id"]: cell for cell in before["cells"]}
    changes: dict[str, list[str]] = {}
    for cell in after["cells"]:
        old = old_cells[cell["id"]]
        assert {k: v for k, v in cell.items() if k != "source"} == {
            k: v for k, v in old.items() if k != "source"
        }
        assert len(cell["source"]) == len(old["source"])
        pairs = zip(old["source"], cell["source"], strict=True)
        lines = [f"{a.strip()} -> {b.strip()}" for a, b in pairs if a != b]
        if lines:
            changes[cell["id"]] = lines
    return changes


def test_step2_rewrites_notebook_cells_around_ipython_syntax(legacy: Path) -> None:
    notebook = legacy / "notebooks/explore_runs.ipynb"
    document = json.loads(notebook.read_text())
    bash = [
        "%%bash\n",
        "python -c 'from orchestration.jobs.tracking.mlflow_helpers import create_child_run'\n",
    ]
    document["cells"].append(
        {"cell_type": "code", "id": "bash", "metadata": {}, "outputs": [], "source": bash}
    )
    notebook.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n")
    commit_all(legacy)

    result = run_script("step2_consolidate.py", legacy, "--write")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    helpers, utils = "orchestration.jobs.tracking.mlflow_helpers", "orchestration.jobs.tracking"
    assert changed_lines(document, json.loads(notebook.read_text())) == {
        "urls": [
            f"from {utils}.mlflow_utils import get_mlflow_run_url, retry_with_backoff -> "
            f"from {utils}.utils.mlflow_utils import get_mlflow_run_url, retry_with_backoff"
        ],
        "children": [
            f"from {utils} import mlflow_helpers -> "
            f"from {utils}.utils import helpers as mlflow_helpers"
        ],
        "timed": [  # %%time, with ``x = !ls`` in its body
            f"from {helpers} import create_child_run -> "
            f"from {utils}.utils.helpers import create_child_run"
        ],
        "quiet": [  # %%capture install_log, with ``!pip install`` in its body
            f"from {utils}.mlflow_utils import get_mlflow_run_url -> "
            f"from {utils}.utils.mlflow_utils import get_mlflow_run_url"
        ],
    }
    assert notebook.read_text().endswith("}\n")


def test_step1_reports_unparsable_files_first_and_exits_2(legacy: Path, tmp_path: Path) -> None:
    broken = "from orchestration.mlflow_utils import (\n"
    (legacy / "src/orchestration/broken.py").write_text(broken)
    commit_all(legacy)
    report = tmp_path / "inventory.json"
    result = run_script("step1_inventory.py", legacy, "--json", str(report))
    assert result.returncode == 2
    assert "src/orchestration/broken.py:1" in one_line_error(result)
    assert "do not parse" in result.stdout.split("Re-export layers")[0]
    data = json.loads(report.read_text())
    assert data["parse_failures"][0]["path"] == "src/orchestration/broken.py"


@pytest.mark.e2e
def test_step1_inventories_every_layer_and_starts_the_contracts_green(
    legacy: Path, tmp_path: Path
) -> None:
    report, markdown = tmp_path / "inventory.json", tmp_path / "inventory.md"
    result = run_script(
        "step1_inventory.py", legacy, "--json", str(report), "--markdown", str(markdown),
        "--write-contracts", full_plan=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    data = json.loads(report.read_text())
    shims = {shim["module"]: shim for shim in data["shims"]}
    assert shims["orchestration.mlflow_utils"]["warns"] is True
    nested = [
        r for r in data["resolutions"] if r["shim"] == "orchestration.jobs.tracking.mlflow_utils"
    ]
    assert {tuple(r["chain"]) for r in nested} >= {
        (
            "orchestration.jobs.tracking.mlflow_utils",
            "orchestration.jobs.tracking.utils.mlflow_utils",
            "infrastructure.tracking.mlflow.utils",
        )
    }
    kinds = {(r["path"], r["kind"]) for r in data["references"]}
    assert ("src/orchestration/__init__.py", "relative-from-import") in kinds
    assert ("tests/tracking/test_legacy_shims.py", "string") in kinds
    assert any(path == "notebooks/explore_runs.ipynb" for path, _ in kinds)
    assert data["commit"] == git_head(legacy)
    assert "orchestration.jobs.tracking.trackers.training_tracker" in data["importable_modules"]
    assert "orchestration.mlflow_utils" in markdown.read_text()

    allowlisted = (legacy / ".importlinter").read_text()
    assert (
        "infrastructure.platform.adapters.mlflow_context -> "
        "orchestration.jobs.tracking.mlflow_helpers" in allowlisted
    )
    lint = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=legacy,
        env={**os.environ, "PYTHONPATH": str(legacy / "src")},
        capture_output=True,
        text=True,
    )
    assert lint.returncode == 0, lint.stdout


def test_migrate_without_write_rehearses_on_a_copy(legacy: Path) -> None:
    before = files_under(legacy)
    result = run_script("migrate.py", legacy)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "rehearsal" in result.stdout
    assert "verification passed" in result.stdout
    assert files_under(legacy) == before


def test_step5_needs_the_step1_baseline(legacy: Path) -> None:
    refused = run_script("step5_verify.py", legacy)
    assert refused.returncode == 2
    assert "run scripts/step1_inventory.py first" in one_line_error(refused)


def test_migrate_that_fails_verification_leaves_the_tree_as_it_was(legacy: Path) -> None:
    (legacy / "tests/tracking/test_layout.py").write_text(
        "from pathlib import Path\n"
        "\n"
        "\n"
        "def test_the_nested_shim_is_a_file() -> None:\n"
        '    assert Path("src/orchestration/jobs/tracking/mlflow_utils.py").is_file()\n'
    )
    commit_all(legacy, "a test that the migration breaks")
    before = files_under(legacy)
    result = run_script("migrate.py", legacy, "--write")
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-2000:]
    table = " ".join(result.stdout.replace("│", " ").split())
    assert "regressions: tests/tracking/test_layout.py::test_the_nested_shim_is_a_file" in table
    assert "your tree was not changed" in result.stdout
    assert files_under(legacy) == before
