"""The kept compatibility shims re-export the very source objects; the facade exposes setup."""

from __future__ import annotations

import importlib

import pytest

import orchestration
from infrastructure.tracking.mlflow import runs, setup, urls, utils

KEPT_SHIMS: dict[str, dict[str, object]] = {
    "orchestration.jobs.tracking.utils": {
        "create_child_run": runs.create_child_run,
        "get_mlflow_run_url": urls.get_mlflow_run_url,
        "retry_with_backoff": utils.retry_with_backoff,
    },
    "orchestration.jobs.tracking.utils.mlflow_utils": {
        "get_mlflow_run_url": urls.get_mlflow_run_url,
        "retry_with_backoff": utils.retry_with_backoff,
    },
    "orchestration.jobs.tracking.utils.helpers": {"create_child_run": runs.create_child_run},
}


@pytest.mark.parametrize("module_name", sorted(KEPT_SHIMS))
def test_shim_names_are_the_source_objects(module_name: str) -> None:
    module = importlib.import_module(module_name)
    expected = KEPT_SHIMS[module_name]
    assert sorted(module.__all__) == sorted(expected)
    for name, source in expected.items():
        assert getattr(module, name) is source


def test_facade_exposes_setup() -> None:
    assert orchestration.setup_mlflow_for_stage is setup.setup_mlflow_for_stage
    assert orchestration.__all__ == ["setup_mlflow_for_stage"]


def test_source_modules_import() -> None:
    for name in ("utils", "urls", "runs", "setup", "hash_utils", "queries"):
        importlib.import_module(f"infrastructure.tracking.mlflow.{name}")
