"""Query patterns on a sqlite store."""

from __future__ import annotations

import time
from typing import Any

import pytest

from infrastructure.tracking.mlflow.queries import (
    find_runs_by_tag,
    get_child_runs,
    get_latest_finished_run,
    tag_filter,
)
from infrastructure.tracking.mlflow.runs import create_child_run


def test_tag_filter_quotes() -> None:
    assert tag_filter("a.b", "it's") == "tags.`a.b` = 'it\\'s'"
    with pytest.raises(ValueError):
        tag_filter("bad`key", "v")


def test_find_runs_by_tag(experiment_id: str, mlflow_client: Any) -> None:
    a = mlflow_client.create_run(experiment_id, tags={"model": "bert"}).info.run_id
    mlflow_client.create_run(experiment_id, tags={"model": "roberta"})
    b = mlflow_client.create_run(experiment_id, tags={"model": "bert"}).info.run_id
    found = [r.info.run_id for r in find_runs_by_tag([experiment_id], "model", "bert")]
    assert sorted(found) == sorted([a, b])
    assert find_runs_by_tag([experiment_id], "model", "gpt", client=mlflow_client) == []


def test_latest_finished_run(experiment_id: str, mlflow_client: Any) -> None:
    assert get_latest_finished_run([experiment_id]) is None
    runs = []
    for i in range(3):
        run = mlflow_client.create_run(experiment_id, tags={"i": str(i)}, start_time=1000 + i)
        runs.append(run.info.run_id)
    mlflow_client.set_terminated(runs[0], "FINISHED")
    mlflow_client.set_terminated(runs[1], "FINISHED")
    mlflow_client.set_terminated(runs[2], "FAILED")
    latest = get_latest_finished_run([experiment_id], client=mlflow_client)
    assert latest is not None and latest.info.run_id == runs[1]
    only_first = get_latest_finished_run([experiment_id], filter_string="tags.i = '0'")
    assert only_first is not None and only_first.info.run_id == runs[0]


def test_child_runs(experiment_id: str, mlflow_client: Any) -> None:
    parent = mlflow_client.create_run(experiment_id).info.run_id
    children = []
    for fold in range(2):
        with create_child_run(parent, run_name=f"fold-{fold}") as child:
            children.append(child.info.run_id)
        time.sleep(0.01)
    found = get_child_runs(parent, [experiment_id], client=mlflow_client)
    assert [r.info.run_id for r in found] == children
