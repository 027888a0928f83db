"""MLflow-specific hash retrieval/computation, and the shared hash primitives it builds on."""

from __future__ import annotations

from typing import Any

import pytest

from common.shared.hash_utils import compute_hash_16, compute_hash_64, compute_json_hash
from infrastructure.tracking.mlflow.hash_utils import (
    CONFIG_HASH_TAG,
    compute_config_hash,
    get_or_compute_run_hash,
    get_run_hash,
)


def test_shared_primitives() -> None:
    digest = compute_hash_64("abc")
    assert digest == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert compute_hash_64(b"abc") == digest
    assert compute_hash_16("abc") == digest[:16]
    assert compute_json_hash({"b": 1, "a": [1, 2]}) == compute_json_hash({"a": [1, 2], "b": 1})
    assert len(compute_json_hash({"a": 1}, length=8)) == 8
    with pytest.raises(ValueError):
        compute_json_hash({}, length=0)


def test_config_hash_is_order_independent_and_short() -> None:
    h = compute_config_hash({"lr": 0.1, "model": "bert"})
    assert h == compute_config_hash({"model": "bert", "lr": 0.1})
    assert len(h) == 16
    assert h != compute_config_hash({"lr": 0.2, "model": "bert"})


def test_get_or_compute_stores_then_reads(experiment_id: str, mlflow_client: Any) -> None:
    run_id = mlflow_client.create_run(experiment_id).info.run_id
    assert get_run_hash(run_id, client=mlflow_client) is None
    config = {"lr": 0.1}
    computed = get_or_compute_run_hash(run_id, config, client=mlflow_client)
    assert computed == compute_config_hash(config)
    assert mlflow_client.get_run(run_id).data.tags[CONFIG_HASH_TAG] == computed
    # once stored, the stored value wins even if the config changed
    assert get_or_compute_run_hash(run_id, {"lr": 0.5}, client=mlflow_client) == computed
    assert get_run_hash(run_id) == computed  # default client: the global tracking URI
