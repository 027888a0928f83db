"""MLflow tracking of benchmarks: one finished run per benchmarked model."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from infrastructure.tracking.mlflow.urls import get_mlflow_run_url
from infrastructure.tracking.mlflow.utils import retry_with_backoff
from orchestration.jobs.tracking.trackers.base import (
    STAGE_TAG,
    MLflowTracker,
    TrackedRun,
    metric_batch,
    param_batch,
)

STAGE = "benchmarking"
MODEL_TAG = "benchmark.model"
SOURCE_RUN_TAG = "benchmark.source_run_id"


class MLflowBenchmarkTracker(MLflowTracker):
    """Logs benchmark results (latency, throughput, ...) to MLflow, retrying transient errors."""

    _retry = staticmethod(retry_with_backoff)
    _run_url = staticmethod(get_mlflow_run_url)

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
        run_id = self._create_run(f"benchmark-{model_name}", tags)
        self._call(
            self._client.log_batch,
            run_id,
            metrics=metric_batch(results),
            params=param_batch(params or {}),
        )
        self._terminate(run_id)
        return self._tracked(run_id, self.experiment_id)
