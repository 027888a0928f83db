"""General MLflow helpers: retries of transient errors, run-id detection, config-dir inference.

``retry_with_backoff`` is a plain call, not a decorator::

    run = retry_with_backoff(client.create_run, experiment_id, max_attempts=5)

It calls ``fn(*args, **kwargs)``; the keyword-only parameters ``max_attempts``, ``base_delay``,
``max_delay``, ``jitter``, ``is_retryable`` and ``sleep`` configure the retry loop and are never
passed to ``fn``. Only errors that :func:`is_transient_error` accepts are retried.
"""

from __future__ import annotations

import logging
import os
import random
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import mlflow

T = TypeVar("T")

_logger = logging.getLogger(__name__)

#: HTTP statuses that say "try again later".
TRANSIENT_HTTP_STATUSES: frozenset[int] = frozenset({429, 503, 504})

# MLflow error-code names that the REST layer derives from HTTP 429 / 503 / 504.
_TRANSIENT_MLFLOW_ERROR_CODES = frozenset(
    {"REQUEST_LIMIT_EXCEEDED", "RESOURCE_EXHAUSTED", "TEMPORARILY_UNAVAILABLE", "DEADLINE_EXCEEDED"}
)
# Exception classes of ``requests`` / ``urllib3`` that mean the request never got an answer.
_TRANSIENT_HTTP_CLIENT_ERRORS = frozenset(
    {
        "ConnectionError",
        "ConnectTimeout",
        "ReadTimeout",
        "Timeout",
        "TimeoutError",
        "NewConnectionError",
        "ProtocolError",
        "ChunkedEncodingError",
        "MaxRetryError",
    }
)
_RATE_LIMIT_MARKERS = ("rate limit", "ratelimit", "too many requests")


def _error_chain(error: BaseException) -> Iterator[BaseException]:
    """``error`` and the errors it was raised from or during (``__cause__``/``__context__``)."""
    seen: set[int] = set()
    pending: list[BaseException] = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending.extend(e for e in (current.__cause__, current.__context__) if e is not None)


def _http_status(error: BaseException) -> int | None:
    """The HTTP status an error carries (a ``requests`` HTTPError's response, or its own)."""
    response = getattr(error, "response", None)
    for holder in (response, error):
        status = getattr(holder, "status_code", None)
        if isinstance(status, int):
            return status
    return None


def _looks_transient(error: BaseException) -> bool:
    if isinstance(error, TimeoutError | ConnectionError):
        return True
    if _http_status(error) in TRANSIENT_HTTP_STATUSES:
        return True
    error_code = getattr(error, "error_code", None)
    if isinstance(error_code, str) and error_code in _TRANSIENT_MLFLOW_ERROR_CODES:
        return True
    for cls in type(error).__mro__:
        if cls.__module__.split(".")[0] in {"requests", "urllib3"} and (
            cls.__name__ in _TRANSIENT_HTTP_CLIENT_ERRORS
        ):
            return True
        if "ratelimit" in cls.__name__.lower():
            return True
    message = str(error).lower()
    return any(marker in message for marker in _RATE_LIMIT_MARKERS)


def is_transient_error(error: BaseException) -> bool:
    """True when ``error`` (or an error it was raised from) looks transient.

    Transient: HTTP 429/503/504 (``requests`` HTTPError; MLflow ``MlflowException`` and
    ``RestException`` with the matching error codes), timeouts, connection errors (builtin,
    ``requests``, ``urllib3``) and rate-limit errors. Everything else (bad parameters, missing
    runs, bugs) is not.
    """
    return any(_looks_transient(e) for e in _error_chain(error))


def backoff_delay(attempt: int, base_delay: float, max_delay: float, jitter: float = 0.0) -> float:
    """Delay before retry number ``attempt`` (1-based): ``base_delay * 2**(attempt-1)``, spread by
    a random factor in ``[1 - jitter, 1 + jitter]``, never above ``max_delay``."""
    delay = min(max_delay, base_delay * 2.0 ** (attempt - 1))
    if jitter:
        delay *= random.uniform(1.0 - jitter, 1.0 + jitter)
    return max(0.0, min(max_delay, delay))


def retry_with_backoff(
    fn: Callable[..., T],
    *args: Any,
    max_attempts: int = 5,
    base_delay: float = 0.5,
    max_delay: float = 8.0,
    jitter: float = 0.25,
    is_retryable: Callable[[BaseException], bool] = is_transient_error,
    sleep: Callable[[float], None] = time.sleep,
    **kwargs: Any,
) -> T:
    """Call ``fn(*args, **kwargs)``; on a transient error wait and call again.

    At most ``max_attempts`` calls are made; waits grow exponentially from ``base_delay`` and are
    capped at ``max_delay`` (see :func:`backoff_delay`). An error ``is_retryable`` rejects, or the
    error of the last attempt, is re-raised unchanged (the original exception object).
    ``sleep`` is injectable for tests.
    """
    if max_attempts < 1:
        raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")
    if base_delay < 0 or max_delay < 0:
        raise ValueError("base_delay and max_delay must not be negative")
    if not 0.0 <= jitter <= 1.0:
        raise ValueError(f"jitter must be between 0 and 1, got {jitter}")
    name = getattr(fn, "__qualname__", repr(fn))
    attempt = 1
    while True:
        try:
            return fn(*args, **kwargs)
        except Exception as error:
            if attempt >= max_attempts or not is_retryable(error):
                raise
            delay = backoff_delay(attempt, base_delay, max_delay, jitter)
            _logger.warning(
                "%s failed with a transient error (attempt %d/%d), retrying in %.2fs: %s",
                name,
                attempt,
                max_attempts,
                delay,
                error,
            )
            sleep(delay)
            attempt += 1


def get_mlflow_run_id() -> str | None:
    """The active run's id, else the ``MLFLOW_RUN_ID`` environment variable, else None."""
    run = mlflow.active_run()
    if run is not None:
        return str(run.info.run_id)
    return os.environ.get("MLFLOW_RUN_ID") or None


def infer_config_dir_from_path(path: str | os.PathLike[str] | None) -> Path | None:
    """Walk up from ``path`` (a file or directory) to the nearest ``config/`` directory.

    A directory named ``config`` on the way counts too. None when there is none up to the root.
    """
    if path is None:
        return None
    start = Path(path).expanduser().resolve()
    if not start.is_dir():
        start = start.parent
    for candidate in (start, *start.parents):
        if candidate.name == "config" and candidate.is_dir():
            return candidate
        config_dir = candidate / "config"
        if config_dir.is_dir():
            return config_dir
    return None
