"""The moves the rewrite tests share: the MLflow plan's shims, plus one unrelated package."""

from __future__ import annotations

from shimkit.domain.model import Moves

UTILS = "orchestration.jobs.tracking.utils.mlflow_utils"
NESTED = "orchestration.jobs.tracking.mlflow_utils"
DEPRECATED = "orchestration.mlflow_utils"
HELPERS = "orchestration.jobs.tracking.mlflow_helpers"
URLS = "infrastructure.tracking.mlflow.urls"
RETRY = "infrastructure.tracking.mlflow.utils"
SETUP = "infrastructure.tracking.mlflow.setup"
RUNS = "infrastructure.tracking.mlflow.runs"

MOVES = Moves(
    names={
        (UTILS, "retry_with_backoff"): RETRY,
        (UTILS, "get_mlflow_run_url"): URLS,
        (NESTED, "retry_with_backoff"): RETRY,
        (NESTED, "get_mlflow_run_url"): URLS,
        (DEPRECATED, "setup_mlflow_for_stage"): SETUP,
        (HELPERS, "create_child_run"): RUNS,
        ("training.hpo.compat", "search_space"): "training.hpo.core.search_space",
    },
    modules={DEPRECATED: SETUP, HELPERS: RUNS},
)
