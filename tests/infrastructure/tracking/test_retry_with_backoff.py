"""Unit tests of retry classification and the backoff loop (no real sleeping)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest
import requests
from mlflow.exceptions import MlflowException, RestException
from mlflow.protos.databricks_pb2 import RESOURCE_DOES_NOT_EXIST, TEMPORARILY_UNAVAILABLE

from infrastructure.tracking.mlflow.utils import (
    backoff_delay,
    is_transient_error,
    retry_with_backoff,
)


def _http_error(status: int) -> requests.HTTPError:
    response = requests.Response()
    response.status_code = status
    return requests.HTTPError(f"{status} error", response=response)


def _wrapped_connection_error() -> MlflowException:
    """What MLflow's REST client raises when the server is down: the ConnectionError is only the
    implicit ``__context__`` of a generic MlflowException."""
    try:
        try:
            raise requests.exceptions.ConnectionError("Connection refused")
        except requests.exceptions.ConnectionError as e:
            raise MlflowException(f"API request failed with exception {e}")  # noqa: B904
    except MlflowException as outer:
        return outer


class RateLimitError(Exception):
    pass


def rest_error(code: str, message: str) -> RestException:
    """A REST error as the MLflow client raises it (the class is untyped)."""
    return RestException({"error_code": code, "message": message})  # type: ignore[no-untyped-call]


TRANSIENT: list[BaseException] = [
    rest_error("429", "slow down"),
    rest_error("503", "unavailable"),
    rest_error("504", "gateway timeout"),
    rest_error("TEMPORARILY_UNAVAILABLE", "try later"),
    MlflowException("busy", error_code=TEMPORARILY_UNAVAILABLE),
    _http_error(429),
    _http_error(503),
    _http_error(504),
    requests.exceptions.ConnectTimeout("connect timeout"),
    requests.exceptions.ReadTimeout("read timeout"),
    requests.exceptions.ConnectionError("refused"),
    TimeoutError("timed out"),
    ConnectionRefusedError("refused"),
    TimeoutError("timed out"),
    RateLimitError("quota"),
    RuntimeError("Rate limit exceeded for this workspace"),
    _wrapped_connection_error(),
]

NOT_TRANSIENT: list[BaseException] = [
    rest_error("400", "bad"),
    rest_error("RESOURCE_DOES_NOT_EXIST", "no run"),
    rest_error("500", "boom"),
    MlflowException("missing", error_code=RESOURCE_DOES_NOT_EXIST),
    MlflowException("internal"),
    _http_error(400),
    _http_error(404),
    _http_error(500),
    ValueError("timeout must be positive"),
    KeyError("run_id"),
    PermissionError("denied"),
]


@pytest.mark.parametrize("error", TRANSIENT, ids=lambda e: f"{type(e).__name__}:{e}"[:60])
def test_transient_errors_are_recognised(error: BaseException) -> None:
    assert is_transient_error(error)


@pytest.mark.parametrize("error", NOT_TRANSIENT, ids=lambda e: f"{type(e).__name__}:{e}"[:60])
def test_other_errors_are_not_transient(error: BaseException) -> None:
    assert not is_transient_error(error)


class Flaky:
    """Raises the given errors in order, then returns ``value``."""

    def __init__(self, errors: Sequence[BaseException], value: Any = "ok") -> None:
        self.errors = list(errors)
        self.value = value
        self.calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls.append((args, kwargs))
        if self.errors:
            raise self.errors.pop(0)
        return self.value


def _recorder() -> tuple[list[float], Callable[[float], None]]:
    sleeps: list[float] = []
    return sleeps, sleeps.append


def test_success_first_time_does_not_sleep() -> None:
    sleeps, sleep = _recorder()
    fn = Flaky([])
    assert retry_with_backoff(fn, 1, 2, key="v", sleep=sleep) == "ok"
    assert fn.calls == [((1, 2), {"key": "v"})]
    assert sleeps == []


def test_retries_transient_errors_then_succeeds() -> None:
    sleeps, sleep = _recorder()
    fn = Flaky([_http_error(503), TimeoutError("t")], value=42)
    result = retry_with_backoff(fn, "a", max_attempts=5, base_delay=1, jitter=0, sleep=sleep)
    assert result == 42
    assert len(fn.calls) == 3
    assert all(call == (("a",), {}) for call in fn.calls)  # config kwargs never reach fn
    assert sleeps == [1.0, 2.0]


def test_non_transient_error_is_reraised_immediately_unchanged() -> None:
    sleeps, sleep = _recorder()
    original = MlflowException("no such run", error_code=RESOURCE_DOES_NOT_EXIST)
    fn = Flaky([original])
    with pytest.raises(MlflowException) as caught:
        retry_with_backoff(fn, sleep=sleep)
    assert caught.value is original
    assert len(fn.calls) == 1
    assert sleeps == []


def test_gives_up_after_max_attempts_with_the_last_original_error() -> None:
    sleeps, sleep = _recorder()
    errors = [ConnectionResetError(f"reset {i}") for i in range(10)]
    fn = Flaky(errors[:])
    with pytest.raises(ConnectionResetError) as caught:
        retry_with_backoff(fn, max_attempts=4, base_delay=0.5, jitter=0, sleep=sleep)
    assert caught.value is errors[3]
    assert len(fn.calls) == 4
    assert sleeps == [0.5, 1.0, 2.0]


def test_delays_are_capped_even_with_jitter() -> None:
    sleeps, sleep = _recorder()
    fn = Flaky([TimeoutError()] * 9)
    retry_with_backoff(fn, max_attempts=10, base_delay=1, max_delay=3, jitter=0.5, sleep=sleep)
    assert len(sleeps) == 9
    assert all(0 <= s <= 3 for s in sleeps)
    assert sleeps[0] <= 1.5
    assert sleeps[-1] >= 1.5  # capped at 3, jitter spreads it down to at most half


def test_backoff_delay_is_exponential_and_capped() -> None:
    assert [backoff_delay(n, 0.25, 2.0) for n in range(1, 7)] == [0.25, 0.5, 1.0, 2.0, 2.0, 2.0]


def test_custom_classifier() -> None:
    sleeps, sleep = _recorder()
    fn = Flaky([ValueError("retry me")])
    assert retry_with_backoff(fn, is_retryable=lambda e: isinstance(e, ValueError), sleep=sleep)
    assert len(sleeps) == 1


@pytest.mark.parametrize(
    "kwargs", [{"max_attempts": 0}, {"base_delay": -1.0}, {"max_delay": -1.0}, {"jitter": 2.0}]
)
def test_invalid_configuration_is_rejected(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        retry_with_backoff(Flaky([]), **kwargs)


def test_keyboard_interrupt_is_never_retried() -> None:
    sleeps, sleep = _recorder()
    fn = Flaky([KeyboardInterrupt()])
    with pytest.raises(KeyboardInterrupt):
        retry_with_backoff(fn, sleep=sleep)
    assert sleeps == []
