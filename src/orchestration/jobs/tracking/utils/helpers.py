"""MLflow run helpers for orchestration tracking jobs (child runs).

Compatibility layer: these names are re-exported from ``infrastructure.tracking.mlflow``,
their single source of truth; new code should import them from there.
"""

from infrastructure.tracking.mlflow.runs import create_child_run

__all__ = ["create_child_run"]
