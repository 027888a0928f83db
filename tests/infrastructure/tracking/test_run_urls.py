"""``get_mlflow_run_url`` for every kind of tracking URI."""

from __future__ import annotations

from pathlib import Path

import pytest

from infrastructure.tracking.mlflow.urls import get_mlflow_run_url

AZUREML = (
    "azureml://westeurope.api.azureml.ms/mlflow/v1.0/subscriptions/sub-123/resourceGroups/rg-ml"
    "/providers/Microsoft.MachineLearningServices/workspaces/ws-ner"
)


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("http://127.0.0.1:5000", "http://127.0.0.1:5000/#/experiments/7/runs/abc"),
        ("http://127.0.0.1:5000/", "http://127.0.0.1:5000/#/experiments/7/runs/abc"),
        (
            "https://mlflow.example.com/prefix/",
            "https://mlflow.example.com/prefix/#/experiments/7/runs/abc",
        ),
        ("https://mlflow.example.com?x=1", "https://mlflow.example.com/#/experiments/7/runs/abc"),
    ],
)
def test_http_server(uri: str, expected: str) -> None:
    assert get_mlflow_run_url(uri, "7", "abc") == expected


def test_azure_ml() -> None:
    assert get_mlflow_run_url(AZUREML, "exp-1", "run-9") == (
        "https://ml.azure.com/experiments/id/exp-1/runs/run-9?wsid=/subscriptions/sub-123"
        "/resourcegroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/ws-ner"
    )


def test_azure_ml_without_workspace_path_has_no_url() -> None:
    assert get_mlflow_run_url("azureml://westeurope.api.azureml.ms/mlflow/v1.0", "1", "r") is None


def test_databricks_host_from_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(tmp_path / "missing.cfg"))
    monkeypatch.setenv("DATABRICKS_HOST", "https://adb-1.azuredatabricks.net/")
    assert get_mlflow_run_url("databricks", "12", "r1") == (
        "https://adb-1.azuredatabricks.net/#mlflow/experiments/12/runs/r1"
    )


def test_databricks_profile_host(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cfg = tmp_path / "databrickscfg"
    cfg.write_text("[DEFAULT]\nhost = https://default.cloud\n\n[prod]\nhost = prod.cloud\n")
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(cfg))
    monkeypatch.delenv("DATABRICKS_HOST", raising=False)
    assert get_mlflow_run_url("databricks://prod", "3", "r") == (
        "https://prod.cloud/#mlflow/experiments/3/runs/r"
    )
    assert get_mlflow_run_url("databricks", "3", "r") == (
        "https://default.cloud/#mlflow/experiments/3/runs/r"
    )


def test_databricks_without_host(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(tmp_path / "missing.cfg"))
    monkeypatch.delenv("DATABRICKS_HOST", raising=False)
    assert get_mlflow_run_url("databricks", "3", "r") is None


@pytest.mark.parametrize(
    "uri",
    [
        "/tmp/mlruns",
        "mlruns",
        "file:///tmp/mlruns",
        "sqlite:////tmp/mlflow.db",
        "postgresql://user@db/mlflow",
        "",
        None,
    ],
)
def test_stores_without_ui(uri: str | None) -> None:
    assert get_mlflow_run_url(uri, "1", "r") is None


def test_missing_ids() -> None:
    assert get_mlflow_run_url("http://localhost:5000", "", "r") is None
    assert get_mlflow_run_url("http://localhost:5000", "1", "") is None
