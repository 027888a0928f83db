"""MLflow-specific hashes: compute a configuration's hash, store it on a run, read it back.

The hashing itself lives in ``common.shared.hash_utils``; this module only knows where MLflow
keeps the result (a run tag).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mlflow.tracking import MlflowClient

from common.shared.hash_utils import compute_hash_16, compute_json_hash

CONFIG_HASH_TAG = "code.config_hash"


def compute_config_hash(config: Mapping[str, Any]) -> str:
    """A 16-character hash of ``config``, independent of key order."""
    return compute_hash_16(compute_json_hash(dict(config)))


def get_run_hash(
    run_id: str, tag: str = CONFIG_HASH_TAG, client: MlflowClient | None = None
) -> str | None:
    """The hash stored on run ``run_id`` under ``tag``, or None when the run has none."""
    run = (client or MlflowClient()).get_run(run_id)
    value = run.data.tags.get(tag)
    return str(value) if value else None


def get_or_compute_run_hash(
    run_id: str,
    config: Mapping[str, Any],
    tag: str = CONFIG_HASH_TAG,
    client: MlflowClient | None = None,
) -> str:
    """The run's stored hash; when missing, compute it from ``config`` and store it on the run."""
    client = client or MlflowClient()
    stored = get_run_hash(run_id, tag, client)
    if stored is not None:
        return stored
    computed = compute_config_hash(config)
    client.set_tag(run_id, tag, computed)
    return computed
