"""``setup_mlflow_for_stage`` on a sqlite store."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import mlflow
import pytest
from mlflow.tracking import MlflowClient

from infrastructure.tracking.mlflow.setup import STAGE_TAG, setup_mlflow_for_stage


@pytest.mark.parametrize("stage", ["training", "hpo", "benchmarking", "conversion"])
def test_sets_uri_and_experiment(stage: str, sqlite_store_uri: str) -> None:
    name = f"setup-test-{stage}-{os.getpid()}"
    exp_id = setup_mlflow_for_stage(stage, experiment_name=name, tracking_uri=sqlite_store_uri)
    assert mlflow.get_tracking_uri() == sqlite_store_uri
    experiment = MlflowClient(sqlite_store_uri).get_experiment(exp_id)
    assert experiment.name == name
    assert experiment.tags[STAGE_TAG] == stage
    with mlflow.start_run() as run:  # the stage's experiment is the active one
        assert run.info.experiment_id == exp_id


def test_default_name_uses_prefix(
    tracking_uri: str, mlflow_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_EXPERIMENT_PREFIX", f"proj{os.getpid()}")
    exp_id = setup_mlflow_for_stage(" HPO ")
    assert mlflow_client.get_experiment(exp_id).name == f"proj{os.getpid()}-hpo"


def test_idempotent(tracking_uri: str) -> None:
    first = setup_mlflow_for_stage("conversion", experiment_name="idempotent-conversion")
    assert setup_mlflow_for_stage("conversion", experiment_name="idempotent-conversion") == first


def test_keeps_current_uri_without_argument(tracking_uri: str) -> None:
    setup_mlflow_for_stage("training", experiment_name="keeps-uri")
    assert mlflow.get_tracking_uri() == tracking_uri


@pytest.mark.parametrize("stage", ["", "  ", "1st", "a b", "x/y"])
def test_invalid_stage(stage: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        setup_mlflow_for_stage(stage, tracking_uri=f"sqlite:///{tmp_path}/unused.db")
