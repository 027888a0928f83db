"""What the trackers share: the handle of a tracked run, the retry policy they rely on, and the
plumbing of a tracker (client, retried calls, run creation and closing, run URLs)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar

import mlflow
from mlflow.entities import Metric, Param, RunStatus
from mlflow.tracking import MlflowClient

T = TypeVar("T")

#: Tag every tracker puts on its runs.
STAGE_TAG = "pipeline.stage"


@dataclass(frozen=True)
class TrackedRun:
    """A run a tracker created: its ids and its UI address (None for stores without a UI)."""

    run_id: str
    experiment_id: str
    url: str | None


class RetryPolicy(Protocol):
    """How trackers call MLflow: ``policy(fn, *args, max_attempts=..., base_delay=...)``."""

    def __call__(
        self,
        fn: Callable[..., T],
        /,
        *args: Any,
        max_attempts: int = ...,
        base_delay: float = ...,
        max_delay: float = ...,
    ) -> T: ...


if TYPE_CHECKING:
    from infrastructure.tracking.mlflow.utils import retry_with_backoff

    # Static check: the retry helper the trackers use satisfies the policy they are written for.
    _conforms: RetryPolicy = retry_with_backoff


class RunUrl(Protocol):
    """How trackers find a run's UI address: ``run_url(tracking_uri, experiment_id, run_id)``."""

    def __call__(self, tracking_uri: str, experiment_id: str, run_id: str, /) -> str | None: ...


def metric_batch(metrics: Mapping[str, float], step: int = 0) -> list[Metric]:
    """``metrics`` as MLflow metrics stamped now, at ``step``."""
    now = int(time.time() * 1000)
    return [Metric(key, float(value), now, step) for key, value in metrics.items()]


def param_batch(params: Mapping[str, Any]) -> list[Param]:
    """``params`` as MLflow params (values as strings)."""
    return [Param(key, str(value)) for key, value in params.items()]


class MLflowTracker:
    """Base of the stage trackers: an MLflow client for the tracking URI current when the tracker
    is built, and MLflow calls retried on transient errors.

    Each tracker names the helpers it relies on as ``_retry`` (a ``RetryPolicy``) and ``_run_url``.
    """

    _retry: ClassVar[RetryPolicy]
    _run_url: ClassVar[RunUrl]

    def __init__(self, experiment_id: str, *, max_attempts: int = 5, base_delay: float = 0.5):
        self.experiment_id = experiment_id
        self.tracking_uri = mlflow.get_tracking_uri()
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self._client = MlflowClient(self.tracking_uri)

    def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``fn(*args, **kwargs)`` through the retry policy, with this tracker's settings."""
        return self._retry(
            fn, *args, max_attempts=self.max_attempts, base_delay=self.base_delay, **kwargs
        )

    def _tracked(self, run_id: str, experiment_id: str) -> TrackedRun:
        url = self._run_url(self.tracking_uri, experiment_id, run_id)
        return TrackedRun(run_id=run_id, experiment_id=experiment_id, url=url)

    def _create_run(self, run_name: str, tags: Mapping[str, str]) -> str:
        """Create a run named ``run_name`` in the tracker's experiment; return its id."""
        run = self._call(self._client.create_run, self.experiment_id, tags=tags, run_name=run_name)
        run_id: str = run.info.run_id
        return run_id

    def _terminate(self, run_id: str, succeeded: bool = True) -> None:
        """Close ``run_id`` FINISHED (or FAILED)."""
        status = RunStatus.FINISHED if succeeded else RunStatus.FAILED
        self._call(self._client.set_terminated, run_id, RunStatus.to_string(status))
