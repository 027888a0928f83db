"""The platform adapter that opens child runs (its tracking imports are function-local)."""

from __future__ import annotations

from typing import Any

import mlflow
import pytest

from infrastructure.platform.adapters.mlflow_context import MLflowRunContext
from infrastructure.tracking.mlflow.runs import MLFLOW_PARENT_RUN_ID


def test_child_run_under_parent(experiment_id: str, mlflow_client: Any) -> None:
    parent = mlflow_client.create_run(experiment_id).info.run_id
    context = MLflowRunContext(parent)
    with context.child_run("trial-1", tags={"trial": "1"}) as run:
        context.log_metrics({"loss": 0.25}, run_id=run.info.run_id)
        active = mlflow.active_run()
        assert active is not None and active.info.run_id == run.info.run_id
    child = mlflow_client.get_run(run.info.run_id)
    assert child.data.tags[MLFLOW_PARENT_RUN_ID] == parent
    assert child.data.tags["trial"] == "1"
    assert child.data.metrics == {"loss": 0.25}
    assert child.info.status == "FINISHED"


def test_failed_child_run(experiment_id: str, mlflow_client: Any) -> None:
    parent = mlflow_client.create_run(experiment_id).info.run_id
    with pytest.raises(ZeroDivisionError), MLflowRunContext(parent).child_run("bad") as run:
        _ = 1 / 0
    assert mlflow_client.get_run(run.info.run_id).info.status == "FAILED"


def test_metrics_default_to_parent(experiment_id: str, mlflow_client: Any) -> None:
    parent = mlflow_client.create_run(experiment_id).info.run_id
    MLflowRunContext(parent, experiment_id).log_metrics({"best": 1.0})
    assert mlflow_client.get_run(parent).data.metrics == {"best": 1.0}
