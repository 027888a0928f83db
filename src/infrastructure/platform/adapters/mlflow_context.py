"""Platform adapter: MLflow run context for jobs that run under a parent run (sweeps, folds).

The tracking helpers are imported inside the methods so that importing the adapter stays cheap
for platforms that never open a run.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import mlflow
from mlflow.entities import Metric
from mlflow.tracking import MlflowClient


class MLflowRunContext:
    """Opens child runs under ``parent_run_id`` and logs metrics, retrying transient errors."""

    def __init__(self, parent_run_id: str, experiment_id: str | None = None) -> None:
        self.parent_run_id = parent_run_id
        self.experiment_id = experiment_id

    @contextmanager
    def child_run(
        self, run_name: str, tags: Mapping[str, str] | None = None
    ) -> Iterator[mlflow.ActiveRun]:
        """A child run of the parent, active inside the block (see ``create_child_run``)."""
        from infrastructure.tracking.mlflow.runs import create_child_run

        with create_child_run(
            self.parent_run_id, run_name=run_name, tags=tags, experiment_id=self.experiment_id
        ) as run:
            yield run

    def log_metrics(
        self, metrics: Mapping[str, float], run_id: str | None = None, step: int = 0
    ) -> None:
        """Log ``metrics`` on ``run_id`` (default: the parent run) in one retried batch."""
        from infrastructure.tracking.mlflow.utils import retry_with_backoff

        now = int(time.time() * 1000)
        batch = [Metric(key, float(value), now, step) for key, value in metrics.items()]
        retry_with_backoff(MlflowClient().log_batch, run_id or self.parent_run_id, metrics=batch)
