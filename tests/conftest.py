"""MLflow fixtures: a sqlite tracking store, a real ``mlflow server``, and isolation of MLflow's
global state (tracking URI, active experiment, active runs, ``MLFLOW_*`` variables)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

SERVER_START_TIMEOUT = 90.0


@pytest.fixture(autouse=True)
def mlflow_isolation() -> Iterator[None]:
    """Restore MLflow's process-global state after every test.

    Cheap for tests that never touch MLflow: it only imports mlflow if the test did.
    """
    saved_env = {k: v for k, v in os.environ.items() if k.startswith(("MLFLOW_", "DATABRICKS_"))}
    saved_uri: str | None = None
    saved_experiment: Any = None  # mlflow's private slot: str | None
    if "mlflow" in sys.modules:
        from mlflow.tracking import _tracking_service, fluent

        saved_uri = _tracking_service.utils._tracking_uri
        saved_experiment = fluent._active_experiment_id
    yield
    if "mlflow" in sys.modules:
        import mlflow
        from mlflow.tracking import fluent

        while mlflow.active_run() is not None:
            mlflow.end_run()
        mlflow.set_tracking_uri(saved_uri)  # type: ignore[arg-type]  # None unsets it
        fluent._active_experiment_id = saved_experiment
    for key in [k for k in os.environ if k.startswith(("MLFLOW_", "DATABRICKS_"))]:
        if key not in saved_env:
            del os.environ[key]
    os.environ.update(saved_env)


@pytest.fixture(scope="session")
def sqlite_store_uri(tmp_path_factory: pytest.TempPathFactory) -> str:
    """``sqlite:///<tmp>/mlflow.db``, tables created once per session."""
    from mlflow.tracking import MlflowClient

    path = tmp_path_factory.mktemp("mlflow-sqlite") / "mlflow.db"
    uri = f"sqlite:///{path}"
    MlflowClient(uri).search_experiments(max_results=1)
    return uri


@pytest.fixture
def tracking_uri(sqlite_store_uri: str) -> str:
    """Make the session's sqlite store the global tracking URI for this test."""
    import mlflow

    mlflow.set_tracking_uri(sqlite_store_uri)
    return sqlite_store_uri


@pytest.fixture
def mlflow_client(tracking_uri: str) -> Any:
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri)


def _new_experiment(client: Any, artifact_root: Path) -> str:
    name = f"test-{uuid.uuid4().hex[:12]}"
    return str(client.create_experiment(name, artifact_location=artifact_root.as_uri()))


@pytest.fixture
def experiment_id(mlflow_client: Any, tmp_path: Path) -> str:
    """A fresh experiment on the sqlite store (artifacts under the test's tmp dir), made active."""
    import mlflow

    exp_id = _new_experiment(mlflow_client, tmp_path / "artifacts")
    mlflow.set_experiment(experiment_id=exp_id)
    return exp_id


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class MlflowServer:
    """A real ``mlflow server`` process on 127.0.0.1 that can be stopped and restarted."""

    def __init__(self, root: Path, port: int) -> None:
        self.root = root
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.backend_uri = f"sqlite:///{root / 'mlflow.db'}"
        self.log_path = root / "server.log"
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()

    def is_healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=2) as response:
                return bool(response.status == 200)
        except (OSError, urllib.error.URLError):
            return False

    def start(self, timeout: float = SERVER_START_TIMEOUT) -> None:
        with self._lock:
            if self._proc is not None:
                raise RuntimeError("server already running")
            env = {
                k: v
                for k, v in os.environ.items()
                if k not in {"MLFLOW_TRACKING_URI", "MLFLOW_RUN_ID", "MLFLOW_EXPERIMENT_ID"}
            }
            env["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] = "false"  # no huey job runners
            command = [
                sys.executable, "-m", "mlflow", "server",
                "--host", "127.0.0.1",
                "--port", str(self.port),
                "--backend-store-uri", self.backend_uri,
                "--default-artifact-root", (self.root / "artifacts").as_uri(),
                "--workers", "1",
            ]  # fmt: skip
            with self.log_path.open("ab") as log:
                self._proc = subprocess.Popen(
                    command,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=env,
                    cwd=self.root,
                    start_new_session=True,  # own process group: stop() ends all of it
                )
            deadline = time.monotonic() + timeout
            while not self.is_healthy():
                if self._proc.poll() is not None or time.monotonic() > deadline:
                    self._stop_locked()
                    tail = self.log_path.read_text(errors="replace")[-3000:]
                    raise RuntimeError(f"mlflow server did not become healthy:\n{tail}")
                time.sleep(0.2)

    def _stop_locked(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)

    def stop(self) -> None:
        with self._lock:
            self._stop_locked()


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MlflowServer]:
    """A session-wide real MLflow tracking server (started once, stopped at the end)."""
    server = MlflowServer(tmp_path_factory.mktemp("mlflow-server"), _free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def server_tracking_uri(mlflow_server: MlflowServer) -> str:
    """Make the real server the global tracking URI for this test (restarting it if needed)."""
    import mlflow

    if not mlflow_server.is_healthy():
        mlflow_server.stop()
        mlflow_server.start()
    mlflow.set_tracking_uri(mlflow_server.url)
    return mlflow_server.url


@pytest.fixture
def server_experiment_id(server_tracking_uri: str, tmp_path: Path) -> str:
    """A fresh experiment on the real server, made active."""
    import mlflow
    from mlflow.tracking import MlflowClient

    name = f"srv-{uuid.uuid4().hex[:12]}"
    exp_id = str(MlflowClient(server_tracking_uri).create_experiment(name))
    mlflow.set_experiment(experiment_id=exp_id)
    return exp_id
