"""``get_mlflow_run_id`` and ``infer_config_dir_from_path``."""

from __future__ import annotations

from pathlib import Path

import mlflow
import pytest

from infrastructure.tracking.mlflow.utils import get_mlflow_run_id, infer_config_dir_from_path


def test_run_id_none_without_run_or_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MLFLOW_RUN_ID", raising=False)
    assert get_mlflow_run_id() is None


def test_run_id_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_RUN_ID", "from-env")
    assert get_mlflow_run_id() == "from-env"


def test_active_run_wins_over_env(experiment_id: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with mlflow.start_run() as run:
        monkeypatch.setenv("MLFLOW_RUN_ID", "from-env")
        assert get_mlflow_run_id() == run.info.run_id


def test_config_dir_found_walking_up(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    nested = tmp_path / "src" / "pkg"
    nested.mkdir(parents=True)
    script = nested / "train.py"
    script.write_text("")
    assert infer_config_dir_from_path(script) == (tmp_path / "config").resolve()
    assert infer_config_dir_from_path(str(nested)) == (tmp_path / "config").resolve()


def test_config_dir_itself(tmp_path: Path) -> None:
    config = tmp_path / "config"
    (config / "sub").mkdir(parents=True)
    assert infer_config_dir_from_path(config / "sub") == config.resolve()


def test_no_config_dir(tmp_path: Path) -> None:
    lonely = tmp_path / "a" / "b"
    lonely.mkdir(parents=True)
    found = infer_config_dir_from_path(lonely)
    # nothing under tmp_path; anything found must lie above it
    assert found is None or tmp_path.resolve() not in found.parents
    assert infer_config_dir_from_path(None) is None
