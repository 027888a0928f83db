"""The training, benchmark and conversion trackers on a sqlite store."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from mlflow.exceptions import MlflowException, RestException

from infrastructure.tracking.mlflow.runs import MLFLOW_PARENT_RUN_ID
from orchestration.jobs.tracking.trackers.base import STAGE_TAG
from orchestration.jobs.tracking.trackers.benchmark_tracker import MLflowBenchmarkTracker
from orchestration.jobs.tracking.trackers.conversion_tracker import MLflowConversionTracker
from orchestration.jobs.tracking.trackers.training_tracker import FOLD_TAG, MLflowTrainingTracker


def _fail_once(fn: Any) -> Any:
    """``fn`` that first raises an HTTP 503 (transient), then behaves."""
    calls = {"n": 0}

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RestException({"error_code": "503", "message": "unavailable"})  # type: ignore[no-untyped-call]
        return fn(*args, **kwargs)

    wrapper.calls = calls  # type: ignore[attr-defined]
    return wrapper


def test_training_parent_and_fold_children(experiment_id: str, mlflow_client: Any) -> None:
    tracker = MLflowTrainingTracker(experiment_id, base_delay=0.0)
    parent = tracker.start_run("train-bert", params={"lr": 0.1, "epochs": 3})
    assert parent.url is None  # sqlite store: no UI
    folds = [tracker.log_fold(parent, i, {"f1": 0.8 + i / 100}) for i in range(3)]
    tracker.log_metrics(parent.run_id, {"f1_mean": 0.81})
    tracker.end_run(parent)

    stored = mlflow_client.get_run(parent.run_id)
    assert stored.data.params == {"lr": "0.1", "epochs": "3"}
    assert stored.data.metrics == {"f1_mean": 0.81}
    assert stored.data.tags[STAGE_TAG] == "training"
    assert stored.info.status == "FINISHED"
    for i, fold in enumerate(folds):
        child = mlflow_client.get_run(fold.run_id)
        assert child.data.tags[MLFLOW_PARENT_RUN_ID] == parent.run_id
        assert child.data.tags[FOLD_TAG] == str(i)
        assert child.info.run_name == f"fold-{i}"
        assert child.info.status == "FINISHED"
        assert child.data.metrics == {"f1": pytest.approx(0.8 + i / 100)}


def test_training_url_for_http_server(experiment_id: str) -> None:
    tracker = MLflowTrainingTracker(experiment_id)
    tracker.tracking_uri = "http://mlflow.internal:5000"  # only the URL depends on it
    tracked = tracker._tracked("run1", "9")
    assert tracked.url == "http://mlflow.internal:5000/#/experiments/9/runs/run1"


def test_training_retries_transient_errors(experiment_id: str, mlflow_client: Any) -> None:
    tracker = MLflowTrainingTracker(experiment_id, base_delay=0.0)
    flaky = _fail_once(tracker._client.create_run)
    with mock.patch.object(tracker._client, "create_run", flaky):
        run = tracker.start_run("flaky")
    assert flaky.calls["n"] == 2
    assert mlflow_client.get_run(run.run_id).info.run_name == "flaky"


def test_training_failed_run(experiment_id: str, mlflow_client: Any) -> None:
    tracker = MLflowTrainingTracker(experiment_id)
    run = tracker.start_run("bad")
    tracker.end_run(run, succeeded=False)
    assert mlflow_client.get_run(run.run_id).info.status == "FAILED"


def test_benchmark(experiment_id: str, mlflow_client: Any) -> None:
    tracker = MLflowBenchmarkTracker(experiment_id, base_delay=0.0)
    flaky = _fail_once(tracker._client.log_batch)
    with mock.patch.object(tracker._client, "log_batch", flaky):
        tracked = tracker.log_benchmark(
            "bert", {"latency_ms": 12.5, "throughput": 80.0}, {"batch": 8}, source_run_id="src1"
        )
    assert flaky.calls["n"] == 2
    run = mlflow_client.get_run(tracked.run_id)
    assert run.data.metrics == {"latency_ms": 12.5, "throughput": 80.0}
    assert run.data.params == {"batch": "8"}
    assert run.data.tags[STAGE_TAG] == "benchmarking"
    assert run.data.tags["benchmark.source_run_id"] == "src1"
    assert run.info.status == "FINISHED"


def test_conversion(experiment_id: str, mlflow_client: Any) -> None:
    tracker = MLflowConversionTracker(experiment_id, base_delay=0.0)
    ok = tracker.log_conversion("src1", "onnx", "/models/m.onnx", metrics={"size_mb": 420.0})
    failed = tracker.log_conversion("src1", "tflite", "/models/m.tflite", succeeded=False)
    run = mlflow_client.get_run(ok.run_id)
    assert run.data.params == {"target_format": "onnx", "output_path": "/models/m.onnx"}
    assert run.data.tags["conversion.source_run_id"] == "src1"
    assert run.data.metrics == {"size_mb": 420.0}
    assert run.info.status == "FINISHED"
    assert mlflow_client.get_run(failed.run_id).info.status == "FAILED"


def test_conversion_does_not_retry_permanent_errors(experiment_id: str) -> None:
    tracker = MLflowConversionTracker(experiment_id, base_delay=0.0)
    error = MlflowException("invalid", error_code=1)
    with (
        mock.patch.object(tracker._client, "create_run", side_effect=error) as create,
        pytest.raises(MlflowException) as caught,
    ):
        tracker.log_conversion("src1", "onnx", "/m.onnx")
    assert caught.value is error
    assert create.call_count == 1
