"""MLflow tracking of benchmarks: one finished run per benchmarked model."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import mlflow
from mlflow.entities import Metric, Param, RunStatus
from mlflow.tracking import MlflowClient

from infrastructure.tracking.mlflow.urls import get_mlflow_run_url
from infrastructure.tracking.mlflow.utils import retry_with_backoff
from orchestration.jobs.tracking.trackers.base import STAGE_TAG, TrackedRun

STAGE = "benchmarking"
MODEL_TAG = "benchmark.model"
SOURCE_RUN_TAG = "benchmark.source_run_id"


class MLflowBenchmarkTracker:
    """Logs benchmark results (latency, throughput, ...) to MLflow, retrying transient errors."""

    def __init__(self, experiment_id: str, *, max_attempts: int = 5, base_delay: float = 0.5):
        self.experiment_id = experiment_id
        self.tracking_uri = mlflow.get_tracking_uri()
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self._client = MlflowClient(self.tracking_uri)

    def log_benchmark(
        self,
        model_name: str,
        results: Mapping[str, float],
        params: Mapping[str, Any] | None = None,
        source_run_id: str | None = None,
    ) -> TrackedRun:
        """Create a run for ``model_name`` holding ``results`` as metrics; return it finished."""
        tags = {STAGE_TAG: STAGE, MODEL_TAG: model_name}
        if source_run_id:
            tags[SOURCE_RUN_TAG] = source_run_id
        run = retry_with_backoff(
            self._client.create_run,
            self.experiment_id,
            tags=tags,
            run_name=f"benchmark-{model_name}",
            max_attempts=self.max_attempts,
            base_delay=self.base_delay,
        )
        run_id = run.info.run_id
        now = int(time.time() * 1000)
        retry_with_backoff(
            self._client.log_batch,
            run_id,
            metrics=[Metric(key, float(value), now, 0) for key, value in results.items()],
            params=[Param(key, str(value)) for key, value in (params or {}).items()],
            max_attempts=self.max_attempts,
            base_delay=self.base_delay,
        )
        retry_with_backoff(
            self._client.set_terminated,
            run_id,
            RunStatus.to_string(RunStatus.FINISHED),
            max_attempts=self.max_attempts,
            base_delay=self.base_delay,
        )
        url = get_mlflow_run_url(self.tracking_uri, self.experiment_id, run_id)
        return TrackedRun(run_id=run_id, experiment_id=self.experiment_id, url=url)
