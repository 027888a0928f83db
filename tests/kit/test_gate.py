"""The gate where teams run it: the pre-commit configuration adopters copy, run by pre-commit
itself (local hooks, offline) on a fixture repository; and the CI workflow they copy."""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from kit_helpers import KIT_IDENTITY, REPO, Repos, git

ADOPTED = ("src", "contracts", "scripts", ".importlinter", ".pre-commit-config.yaml")
_CACHES = shutil.ignore_patterns("__pycache__", ".mypy_cache", ".pytest_cache")


@pytest.fixture
def adopter(tmp_path: Path) -> Path:
    """A repository that adopted the kit after the plan: its files, the gate installed."""
    root = tmp_path / "adopter"
    root.mkdir()
    for name in ADOPTED:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=_CACHES)
        else:
            shutil.copy2(source, root / name)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "adopt the kit")
    installed = _run(root, sys.executable, "-m", "pre_commit", "install")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return root


def _env(root: Path) -> dict[str, str]:
    # the hooks run `python` from PATH: this interpreter, which has the kit's requirements
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    home = root.parent / "pre-commit-home"
    return Repos.env(PATH=path, PRE_COMMIT_HOME=str(home), **KIT_IDENTITY)


def _run(root: Path, *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=root, capture_output=True, text=True, env=_env(root), check=False
    )


def _commit(root: Path, path: str, text: str) -> subprocess.CompletedProcess[str]:
    """Stage ``path`` with ``text`` and ``git commit`` it, the installed hooks running."""
    (root / path).parent.mkdir(parents=True, exist_ok=True)
    (root / path).write_text(text, encoding="utf-8")
    _run(root, "git", "add", path)
    return _run(root, "git", "commit", "-q", "-m", f"add {path}")


def _head(root: Path) -> str:
    return git(root, "rev-parse", "HEAD").strip()


def test_the_hook_blocks_a_staged_import_of_a_retired_shim(adopter: Path) -> None:
    before = _head(adopter)
    result = _commit(
        adopter,
        "src/orchestration/jobs/nightly.py",
        "from orchestration.mlflow_utils import setup_mlflow_for_stage\n\n"
        "STAGE = setup_mlflow_for_stage\n",
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert (
        "src/orchestration/jobs/nightly.py:1: from orchestration.mlflow_utils import "
        "setup_mlflow_for_stage -> the retired shim orchestration.mlflow_utils" in output
    )
    assert _head(adopter) == before


def test_the_hook_blocks_new_code_importing_a_kept_shim_but_not_its_tests(adopter: Path) -> None:
    before = _head(adopter)
    blocked = _commit(
        adopter,
        "src/orchestration/jobs/nightly.py",
        "from orchestration.jobs.tracking.utils import retry_with_backoff\n\n"
        "RETRY = retry_with_backoff\n",
    )
    assert blocked.returncode != 0
    output = blocked.stdout + blocked.stderr
    assert "-> the protected shim orchestration.jobs.tracking.utils" in output
    assert _head(adopter) == before
    _run(adopter, "git", "reset", "-q", "HEAD", "--", "src/orchestration/jobs/nightly.py")
    (adopter / "src/orchestration/jobs/nightly.py").unlink()

    test_of_the_layer = _commit(
        adopter,
        "tests/tracking/test_layer.py",
        "from orchestration.jobs.tracking.utils import retry_with_backoff\n\n\n"
        "def test_layer() -> None:\n    assert retry_with_backoff\n",
    )
    assert test_of_the_layer.returncode == 0, test_of_the_layer.stdout + test_of_the_layer.stderr
    assert _head(adopter) != before


def test_code_that_imports_the_source_of_truth_is_committed(adopter: Path) -> None:
    before = _head(adopter)
    result = _commit(
        adopter,
        "src/orchestration/jobs/nightly.py",
        "from infrastructure.tracking.mlflow.setup import setup_mlflow_for_stage\n\n"
        "STAGE = setup_mlflow_for_stage\n",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert _head(adopter) != before


def test_the_ci_workflow_runs_the_gate_on_pull_requests() -> None:
    workflow = yaml.safe_load((REPO / ".github/workflows/shim-gate.yml").read_text())
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert "pull_request" in triggers
    runs = [s.get("run", "") for job in workflow["jobs"].values() for s in job["steps"]]
    gate = next(r for r in runs if "tox -e" in r)
    environments = gate.split("tox -e", 1)[1].split()[0].split(",")
    assert environments == ["contracts", "import-smoke", "tracking"]
    tox = configparser.ConfigParser(interpolation=None)
    tox.read(REPO / "tox.ini")
    assert all(tox.has_section(f"testenv:{name}") for name in environments)


def test_the_pre_commit_hooks_are_local_and_download_nothing() -> None:
    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())
    assert [repo["repo"] for repo in config["repos"]] == ["local"]
    hooks = config["repos"][0]["hooks"]
    assert {hook["language"] for hook in hooks} == {"system"}
    assert {hook["entry"].split()[2] for hook in hooks} == {"contracts", "imports"}
