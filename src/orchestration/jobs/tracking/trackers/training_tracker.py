"""MLflow tracking of training: the parent run, one child run per cross-validation fold."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import mlflow
from mlflow.entities import Metric, Param, RunStatus
from mlflow.tracking import MlflowClient

from infrastructure.tracking.mlflow.runs import create_child_run
from infrastructure.tracking.mlflow.urls import (
    get_mlflow_run_url,  # UI link for the run
)
from infrastructure.tracking.mlflow.utils import (
    retry_with_backoff,  # transient-error retries
)
from orchestration.jobs.tracking.trackers.base import STAGE_TAG, TrackedRun

T = TypeVar("T")

STAGE = "training"
FOLD_TAG = "training.fold"


class MLflowTrainingTracker:
    """Logs a training job to MLflow; every MLflow call goes through ``retry_with_backoff``.

    Uses the tracking URI current when the tracker is built (see ``setup_mlflow_for_stage``).
    """

    def __init__(self, experiment_id: str, *, max_attempts: int = 5, base_delay: float = 0.5):
        self.experiment_id = experiment_id
        self.tracking_uri = mlflow.get_tracking_uri()
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self._client = MlflowClient(self.tracking_uri)

    def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return retry_with_backoff(
            fn, *args, max_attempts=self.max_attempts, base_delay=self.base_delay, **kwargs
        )

    def _tracked(self, run_id: str, experiment_id: str) -> TrackedRun:
        url = get_mlflow_run_url(self.tracking_uri, experiment_id, run_id)
        return TrackedRun(run_id=run_id, experiment_id=experiment_id, url=url)

    def start_run(
        self,
        run_name: str,
        params: Mapping[str, Any] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> TrackedRun:
        """Create the training (parent) run and log its parameters."""
        run = self._call(
            self._client.create_run,
            self.experiment_id,
            tags={STAGE_TAG: STAGE, **(tags or {})},
            run_name=run_name,
        )
        run_id = run.info.run_id
        if params:
            batch = [Param(key, str(value)) for key, value in params.items()]
            self._call(self._client.log_batch, run_id, params=batch)
        return self._tracked(run_id, self.experiment_id)

    def log_metrics(self, run_id: str, metrics: Mapping[str, float], step: int = 0) -> None:
        """Log ``metrics`` on ``run_id`` in one batch."""
        now = int(time.time() * 1000)
        batch = [Metric(key, float(value), now, step) for key, value in metrics.items()]
        self._call(self._client.log_batch, run_id, metrics=batch)

    def log_fold(
        self, parent: TrackedRun, fold: int, metrics: Mapping[str, float]
    ) -> TrackedRun:
        """Record fold ``fold`` as a child run of ``parent`` with its metrics."""
        with create_child_run(
            parent.run_id,
            run_name=f"fold-{fold}",
            tags={STAGE_TAG: STAGE, FOLD_TAG: str(fold)},
            experiment_id=parent.experiment_id,
        ) as child:
            child_id = child.info.run_id
            self.log_metrics(child_id, metrics)
        return self._tracked(child_id, parent.experiment_id)

    def end_run(self, run: TrackedRun, succeeded: bool = True) -> None:
        """Close ``run`` FINISHED (or FAILED)."""
        status = RunStatus.FINISHED if succeeded else RunStatus.FAILED
        self._call(self._client.set_terminated, run.run_id, RunStatus.to_string(status))
