"""MLflow tracking utilities for orchestration jobs.

Convenience re-exports of the helpers most tracking jobs need.

Compatibility layer: these names are re-exported from ``infrastructure.tracking.mlflow``,
their single source of truth; new code should import them from there.
"""

from infrastructure.tracking.mlflow.runs import create_child_run
from infrastructure.tracking.mlflow.urls import get_mlflow_run_url
from infrastructure.tracking.mlflow.utils import retry_with_backoff

__all__ = ["create_child_run", "get_mlflow_run_url", "retry_with_backoff"]
