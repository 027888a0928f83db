"""MLflow tracking of model conversion (e.g. to ONNX): one run per conversion."""

from __future__ import annotations

import time
from collections.abc import Mapping

import mlflow
from mlflow.entities import Metric, Param, RunStatus
from mlflow.tracking import MlflowClient

from infrastructure.tracking.mlflow.urls import get_mlflow_run_url
from infrastructure.tracking.mlflow.utils import retry_with_backoff
from orchestration.jobs.tracking.trackers.base import STAGE_TAG, TrackedRun

STAGE = "conversion"
SOURCE_RUN_TAG = "conversion.source_run_id"
FORMAT_TAG = "conversion.format"


class MLflowConversionTracker:
    """Logs a conversion (source run, target format, output, success) to MLflow."""

    def __init__(self, experiment_id: str, *, max_attempts: int = 5, base_delay: float = 0.5):
        self.experiment_id = experiment_id
        self.tracking_uri = mlflow.get_tracking_uri()
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self._client = MlflowClient(self.tracking_uri)

    def log_conversion(
        self,
        source_run_id: str,
        target_format: str,
        output_path: str,
        *,
        succeeded: bool = True,
        metrics: Mapping[str, float] | None = None,
    ) -> TrackedRun:
        """Create a finished (or failed) run describing one conversion of ``source_run_id``."""
        run = retry_with_backoff(
            self._client.create_run,
            self.experiment_id,
            tags={STAGE_TAG: STAGE, SOURCE_RUN_TAG: source_run_id, FORMAT_TAG: target_format},
            run_name=f"convert-{target_format}",
            max_attempts=self.max_attempts,
            base_delay=self.base_delay,
        )
        run_id = run.info.run_id
        now = int(time.time() * 1000)
        retry_with_backoff(
            self._client.log_batch,
            run_id,
            metrics=[Metric(key, float(value), now, 0) for key, value in (metrics or {}).items()],
            params=[Param("target_format", target_format), Param("output_path", output_path)],
            max_attempts=self.max_attempts,
            base_delay=self.base_delay,
        )
        status = RunStatus.FINISHED if succeeded else RunStatus.FAILED
        retry_with_backoff(
            self._client.set_terminated,
            run_id,
            RunStatus.to_string(status),
            max_attempts=self.max_attempts,
            base_delay=self.base_delay,
        )
        url = get_mlflow_run_url(self.tracking_uri, self.experiment_id, run_id)
        return TrackedRun(run_id=run_id, experiment_id=self.experiment_id, url=url)
