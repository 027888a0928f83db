"""MLflow tracking of training: the parent run, one child run per cross-validation fold."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from infrastructure.tracking.mlflow.runs import create_child_run
from infrastructure.tracking.mlflow.urls import (
    get_mlflow_run_url,  # UI link for the run
)
from infrastructure.tracking.mlflow.utils import (
    retry_with_backoff,  # transient-error retries
)
from orchestration.jobs.tracking.trackers.base import (
    STAGE_TAG,
    MLflowTracker,
    TrackedRun,
    metric_batch,
    param_batch,
)

STAGE = "training"
FOLD_TAG = "training.fold"


class MLflowTrainingTracker(MLflowTracker):
    """Logs a training job to MLflow; every MLflow call goes through ``retry_with_backoff``.

    Uses the tracking URI current when the tracker is built (see ``setup_mlflow_for_stage``).
    """

    _retry = staticmethod(retry_with_backoff)
    _run_url = staticmethod(get_mlflow_run_url)

    def start_run(
        self,
        run_name: str,
        params: Mapping[str, Any] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> TrackedRun:
        """Create the training (parent) run and log its parameters."""
        run_id = self._create_run(run_name, {STAGE_TAG: STAGE, **(tags or {})})
        if params:
            self._call(self._client.log_batch, run_id, params=param_batch(params))
        return self._tracked(run_id, self.experiment_id)

    def log_metrics(self, run_id: str, metrics: Mapping[str, float], step: int = 0) -> None:
        """Log ``metrics`` on ``run_id`` in one batch."""
        self._call(self._client.log_batch, run_id, metrics=metric_batch(metrics, step))

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
        self._terminate(run.run_id, succeeded)
