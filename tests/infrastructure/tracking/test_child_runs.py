"""``create_child_run`` on a sqlite tracking store."""

from __future__ import annotations

from typing import Any

import mlflow
import pytest

from infrastructure.tracking.mlflow.runs import MLFLOW_PARENT_RUN_ID, create_child_run


def _active_run_id() -> str:
    run = mlflow.active_run()
    assert run is not None, "no active run"
    return str(run.info.run_id)


def test_child_run_nests_and_finishes(experiment_id: str, mlflow_client: Any) -> None:
    with mlflow.start_run(experiment_id=experiment_id) as parent:
        parent_id = parent.info.run_id
        with create_child_run(parent_id, run_name="fold-0", tags={"fold": "0"}) as child:
            assert mlflow.active_run() is not None
            assert _active_run_id() == child.info.run_id
            mlflow.log_metric("f1", 0.9)
        assert _active_run_id() == parent_id  # the parent is active again
    stored = mlflow_client.get_run(child.info.run_id)
    assert stored.data.tags[MLFLOW_PARENT_RUN_ID] == parent_id
    assert stored.data.tags["fold"] == "0"
    assert stored.info.run_name == "fold-0"
    assert stored.info.status == "FINISHED"
    assert stored.info.experiment_id == experiment_id
    assert stored.data.metrics == {"f1": 0.9}


def test_child_run_fails_on_exception(experiment_id: str, mlflow_client: Any) -> None:
    parent = mlflow_client.create_run(experiment_id)
    with pytest.raises(RuntimeError, match="boom"), create_child_run(parent.info.run_id) as child:
        raise RuntimeError("boom")
    assert mlflow_client.get_run(child.info.run_id).info.status == "FAILED"
    assert mlflow.active_run() is None


def test_parent_need_not_be_active(experiment_id: str, mlflow_client: Any) -> None:
    parent = mlflow_client.create_run(experiment_id)
    other = mlflow_client.create_run(experiment_id)
    with mlflow.start_run(run_id=other.info.run_id):
        with create_child_run(parent.info.run_id, run_name="x") as child:
            pass
        assert _active_run_id() == other.info.run_id
    tags = mlflow_client.get_run(child.info.run_id).data.tags
    assert tags[MLFLOW_PARENT_RUN_ID] == parent.info.run_id


def test_explicit_experiment(experiment_id: str, mlflow_client: Any) -> None:
    other_exp = mlflow_client.create_experiment("child-parent-" + experiment_id)
    parent = mlflow_client.create_run(other_exp)
    with create_child_run(parent.info.run_id, experiment_id=experiment_id) as child:
        pass
    stored = mlflow_client.get_run(child.info.run_id)
    assert stored.info.experiment_id == experiment_id
    assert stored.data.tags[MLFLOW_PARENT_RUN_ID] == parent.info.run_id


def test_empty_parent_is_rejected(tracking_uri: str) -> None:
    with pytest.raises(ValueError), create_child_run(""):
        pass
