"""MLflow setup for a pipeline stage: tracking URI and experiment."""

from __future__ import annotations

import os
import re

import mlflow

from infrastructure.tracking.mlflow.utils import retry_with_backoff

#: Stages the pipeline knows; any other lower-case identifier is accepted too.
KNOWN_STAGES: tuple[str, ...] = (
    "training",
    "hpo",
    "benchmarking",
    "conversion",
    "evaluation",
    "selection",
)
#: Prefix of default experiment names (``<prefix>-<stage>``), overridable by this variable.
EXPERIMENT_PREFIX_ENV = "MLFLOW_EXPERIMENT_PREFIX"
DEFAULT_EXPERIMENT_PREFIX = "pipeline"
STAGE_TAG = "pipeline.stage"

_STAGE_PATTERN = re.compile(r"^[a-z][a-z0-9_-]*$")


def default_experiment_name(stage: str) -> str:
    prefix = os.environ.get(EXPERIMENT_PREFIX_ENV) or DEFAULT_EXPERIMENT_PREFIX
    return f"{prefix}-{stage}"


def setup_mlflow_for_stage(
    stage: str,
    experiment_name: str | None = None,
    tracking_uri: str | None = None,
) -> str:
    """Point MLflow at ``tracking_uri`` (if given) and at the stage's experiment; return its id.

    The experiment (``experiment_name``, default ``<prefix>-<stage>``) is created if missing,
    becomes the active experiment and is tagged ``pipeline.stage=<stage>``. Without
    ``tracking_uri`` the current one (``MLFLOW_TRACKING_URI`` or MLflow's default) is kept.
    """
    normalized = stage.strip().lower()
    if not _STAGE_PATTERN.match(normalized):
        known = ", ".join(KNOWN_STAGES)
        raise ValueError(f"invalid pipeline stage {stage!r}; expected e.g. {known}")
    if tracking_uri:
        mlflow.set_tracking_uri(tracking_uri)
    name = experiment_name or default_experiment_name(normalized)
    experiment = retry_with_backoff(mlflow.set_experiment, name)
    retry_with_backoff(mlflow.set_experiment_tag, STAGE_TAG, normalized)
    return str(experiment.experiment_id)
