"""What the trackers share: the handle of a tracked run and the retry policy they rely on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

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
