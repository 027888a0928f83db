"""MLflow query patterns: runs by tag, the latest finished run, the children of a run."""

from __future__ import annotations

from mlflow.entities import Run, RunStatus
from mlflow.tracking import MlflowClient
from mlflow.utils.mlflow_tags import MLFLOW_PARENT_RUN_ID


def _quote(value: str) -> str:
    """A search-filter string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def tag_filter(key: str, value: str) -> str:
    """The filter string selecting runs whose tag ``key`` equals ``value``."""
    if "`" in key:
        raise ValueError(f"tag key must not contain a backtick: {key!r}")
    return f"tags.`{key}` = {_quote(value)}"


def find_runs_by_tag(
    experiment_ids: list[str],
    key: str,
    value: str,
    client: MlflowClient | None = None,
    max_results: int = 1000,
) -> list[Run]:
    """Runs in ``experiment_ids`` tagged ``key=value``, newest first."""
    found = (client or MlflowClient()).search_runs(
        experiment_ids,
        filter_string=tag_filter(key, value),
        max_results=max_results,
        order_by=["attributes.start_time DESC"],
    )
    return list(found)


def get_latest_finished_run(
    experiment_ids: list[str],
    filter_string: str = "",
    client: MlflowClient | None = None,
) -> Run | None:
    """The most recently started FINISHED run matching ``filter_string``, or None."""
    status = f"attributes.status = '{RunStatus.to_string(RunStatus.FINISHED)}'"
    combined = f"{status} and {filter_string}" if filter_string else status
    runs = (client or MlflowClient()).search_runs(
        experiment_ids,
        filter_string=combined,
        max_results=1,
        order_by=["attributes.start_time DESC"],
    )
    return runs[0] if runs else None


def get_child_runs(
    parent_run_id: str, experiment_ids: list[str], client: MlflowClient | None = None
) -> list[Run]:
    """Runs nested under ``parent_run_id`` (by MLflow's parent tag), oldest first."""
    found = (client or MlflowClient()).search_runs(
        experiment_ids,
        filter_string=tag_filter(MLFLOW_PARENT_RUN_ID, parent_run_id),
        order_by=["attributes.start_time ASC"],
    )
    return list(found)
