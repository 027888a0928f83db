"""MLflow utilities for orchestration tracking jobs (retries, run URLs).

Compatibility layer: these names are re-exported from ``infrastructure.tracking.mlflow``,
their single source of truth; new code should import them from there.
"""

from infrastructure.tracking.mlflow.urls import get_mlflow_run_url
from infrastructure.tracking.mlflow.utils import retry_with_backoff

__all__ = ["get_mlflow_run_url", "retry_with_backoff"]
