"""Orchestration of the pipeline stages (training, HPO, benchmarking, conversion).

``setup_mlflow_for_stage`` is offered here for code that configures MLflow before a stage.
"""

from infrastructure.tracking.mlflow.setup import setup_mlflow_for_stage

__all__ = ["setup_mlflow_for_stage"]
