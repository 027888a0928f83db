"""Against a real ``mlflow server`` process: nesting, run URLs, riding out a restart."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from typing import Any

import mlflow
import pytest
from mlflow.tracking import MlflowClient

from infrastructure.tracking.mlflow.runs import MLFLOW_PARENT_RUN_ID, create_child_run
from infrastructure.tracking.mlflow.urls import get_mlflow_run_url
from infrastructure.tracking.mlflow.utils import is_transient_error, retry_with_backoff


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return int(response.status), response.read().decode("utf-8", errors="replace")


def test_child_runs_nest_under_parent_on_server(server_experiment_id: str) -> None:
    client = MlflowClient()
    with mlflow.start_run(run_name="parent") as parent:
        parent_id = parent.info.run_id
        with create_child_run(parent_id, run_name="fold-0") as child0:
            mlflow.log_metric("f1", 0.8)
        with create_child_run(parent_id, run_name="fold-1") as child1:
            mlflow.log_metric("f1", 0.9)
    # ask the server, not the client cache
    for child in (child0, child1):
        status, body = _get(
            f"{mlflow.get_tracking_uri()}/api/2.0/mlflow/runs/get?run_id={child.info.run_id}"
        )
        assert status == 200
        tags = {t["key"]: t["value"] for t in json.loads(body)["run"]["data"]["tags"]}
        assert tags[MLFLOW_PARENT_RUN_ID] == parent_id
        assert client.get_run(child.info.run_id).data.tags[MLFLOW_PARENT_RUN_ID] == parent_id
    found = client.search_runs(
        [server_experiment_id], filter_string=f"tags.`{MLFLOW_PARENT_RUN_ID}` = '{parent_id}'"
    )
    assert {r.info.run_id for r in found} == {child0.info.run_id, child1.info.run_id}


def test_run_url_answers(server_experiment_id: str) -> None:
    run = MlflowClient().create_run(server_experiment_id)
    url = get_mlflow_run_url(mlflow.get_tracking_uri(), server_experiment_id, run.info.run_id)
    assert url is not None
    assert url.endswith(f"/#/experiments/{server_experiment_id}/runs/{run.info.run_id}")
    status, body = _get(url)
    assert status == 200
    assert "<html" in body.lower()


def test_retry_rides_out_server_restart(
    mlflow_server: Any, server_experiment_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # no retries inside MLflow's HTTP client: every failed attempt reaches retry_with_backoff
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "5")
    client = MlflowClient(mlflow_server.url)
    mlflow_server.stop()
    with pytest.raises(Exception) as down:
        client.create_run(server_experiment_id)
    assert is_transient_error(down.value)

    restart_errors: list[BaseException] = []

    def restart() -> None:
        time.sleep(1.5)
        try:
            mlflow_server.start()
        except BaseException as error:  # surfaced by the assertions below
            restart_errors.append(error)

    attempts: list[float] = []

    def create_run() -> Any:
        attempts.append(time.monotonic())
        return client.create_run(server_experiment_id, run_name="after-restart")

    restarter = threading.Thread(target=restart, daemon=True)
    restarter.start()
    try:
        run = retry_with_backoff(create_run, max_attempts=120, base_delay=0.2, max_delay=1.0)
    finally:
        restarter.join(timeout=120)
    assert not restart_errors
    assert len(attempts) > 1, "the server was down: the first attempt must have failed"
    assert client.get_run(run.info.run_id).info.run_name == "after-restart"
