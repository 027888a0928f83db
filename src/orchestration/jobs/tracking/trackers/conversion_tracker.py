"""MLflow tracking of model conversion (e.g. to ONNX): one run per conversion."""

from __future__ import annotations

from collections.abc import Mapping

from infrastructure.tracking.mlflow.urls import get_mlflow_run_url
from infrastructure.tracking.mlflow.utils import retry_with_backoff
from orchestration.jobs.tracking.trackers.base import (
    STAGE_TAG,
    MLflowTracker,
    TrackedRun,
    metric_batch,
    param_batch,
)

STAGE = "conversion"
SOURCE_RUN_TAG = "conversion.source_run_id"
FORMAT_TAG = "conversion.format"


class MLflowConversionTracker(MLflowTracker):
    """Logs a conversion (source run, target format, output, success) to MLflow."""

    _retry = staticmethod(retry_with_backoff)
    _run_url = staticmethod(get_mlflow_run_url)

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
        run_id = self._create_run(
            f"convert-{target_format}",
            {STAGE_TAG: STAGE, SOURCE_RUN_TAG: source_run_id, FORMAT_TAG: target_format},
        )
        self._call(
            self._client.log_batch,
            run_id,
            metrics=metric_batch(metrics or {}),
            params=param_batch({"target_format": target_format, "output_path": output_path}),
        )
        self._terminate(run_id, succeeded)
        return self._tracked(run_id, self.experiment_id)
