"""Run creation: child runs nested under a parent run."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import mlflow
from mlflow.entities import RunStatus
from mlflow.tracking import MlflowClient
from mlflow.utils.mlflow_tags import MLFLOW_PARENT_RUN_ID

__all__ = ["MLFLOW_PARENT_RUN_ID", "create_child_run"]


@contextmanager
def create_child_run(
    parent_run_id: str,
    run_name: str | None = None,
    tags: Mapping[str, str] | None = None,
    experiment_id: str | None = None,
) -> Iterator[mlflow.ActiveRun]:
    """Start a run nested under ``parent_run_id`` and make it the active run.

    The child carries MLflow's parent tag (``mlflow.parentRunId``) and lands in ``experiment_id``
    (default: the parent's experiment; MLflow refuses one that differs from an explicitly set
    active experiment). The parent need not be the active run. Use as a context
    manager: it yields the ``mlflow.ActiveRun`` and ends the run FINISHED when the block succeeds,
    FAILED when it raises (KILLED on KeyboardInterrupt/SystemExit); the error propagates.
    """
    if not parent_run_id:
        raise ValueError("parent_run_id must be a non-empty run id")
    client = MlflowClient()
    if experiment_id is None:
        experiment_id = client.get_run(parent_run_id).info.experiment_id
    child_tags = {**(tags or {}), MLFLOW_PARENT_RUN_ID: parent_run_id}
    child = client.create_run(experiment_id, tags=child_tags, run_name=run_name)
    try:
        active = mlflow.start_run(run_id=child.info.run_id, nested=True)
    except Exception:
        client.set_terminated(child.info.run_id, RunStatus.to_string(RunStatus.FAILED))
        raise
    try:
        yield active
    except Exception:
        mlflow.end_run(status=RunStatus.to_string(RunStatus.FAILED))
        raise
    except BaseException:
        mlflow.end_run(status=RunStatus.to_string(RunStatus.KILLED))
        raise
    else:
        mlflow.end_run(status=RunStatus.to_string(RunStatus.FINISHED))
