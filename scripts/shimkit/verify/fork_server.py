"""The kit's side of the fork server (``smoke_child.py serve``): start it, hand it the modules,
collect one result per module. POSIX only (``os.fork``)."""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any

from shimkit.domain import shortcuts
from shimkit.system.processes import start_child, tail
from shimkit.verify.smoke_report import ImportBatch, ModuleSmoke, module_smoke

__all__ = ["CHILD_SCRIPT", "ServerUnavailable", "fork_available", "import_forked"]

CHILD_SCRIPT = Path(__file__).resolve().with_name("smoke_child.py")
RESULT_SLACK = 60.0  # seconds past a child's timeout before the server counts as hung


class ServerUnavailable(Exception):
    """The fork server cannot import (the rest of) the modules; ``str()`` says why."""


def fork_available() -> bool:
    return os.name == "posix" and hasattr(os, "fork")


class _Lines:
    """JSON lines from the server's stdout, each awaited up to a deadline."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._fd = stream.fileno()
        self._buffer = b""
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._fd, selectors.EVENT_READ)

    def next(self, seconds: float) -> dict[str, Any] | None:
        """The next message; None at end of output or when none came within ``seconds``."""
        deadline = time.monotonic() + seconds
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not self._selector.select(left):
                return None
            chunk = os.read(self._fd, 65536)
            if not chunk:
                return None
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        message: dict[str, Any] = json.loads(line)
        return message


@contextmanager
def _server(
    root: Path, src_dir: Path, env: Mapping[str, str]
) -> Iterator[tuple[subprocess.Popen[bytes], IO[bytes]]]:
    with tempfile.TemporaryFile() as log:
        command = [sys.executable, "-P", str(CHILD_SCRIPT), "serve", str(root), str(src_dir)]
        process = start_child(command, root, env, stderr=log)
        try:
            yield process, log
        finally:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # the server and every child it forked
            process.wait()
            for stream in (process.stdin, process.stdout):
                if stream is not None:
                    stream.close()


def _last_line(log: IO[bytes]) -> str:
    log.seek(0)
    return tail(log.read().decode("utf-8", "replace"), 1)


def import_forked(
    batch: ImportBatch,
    preload: Sequence[str],
    *,
    on_result: Callable[[ModuleSmoke], None],
    on_note: Callable[[str], None],
) -> int:
    """Import each module of ``batch`` in a child forked from a server that imported ``preload``
    first (all of them in one interpreter first when ``batch.edges`` is set). ``on_result`` is
    called once per module as it finishes; raises ``ServerUnavailable`` when the server cannot go
    on (modules already reported stay reported). Returns how many records came from the one
    interpreter."""
    timeout = batch.timeout
    request = {
        "preload": list(preload),
        "modules": [[module, list(names)] for module, names in batch.modules],
        "changed": list(batch.changed),
        "undone": batch.undone,
        "jobs": batch.jobs,
        "timeout": timeout,
        "code_cache": None if batch.code_cache is None else str(batch.code_cache),
        "code_cache_floor": batch.code_cache_floor,
        "leads": shortcuts.enabled(),  # opening imports shared (smoke_leads)
    }
    if batch.edges is not None:
        request["shared"] = {module: list(targets) for module, targets in batch.edges.items()}
        request["context"] = sorted(batch.context)
    with _server(batch.root, batch.src_dir, batch.env) as (process, log):
        assert process.stdin is not None and process.stdout is not None
        try:
            process.stdin.write((json.dumps(request) + "\n").encode())
            process.stdin.flush()
        except BrokenPipeError:
            raise ServerUnavailable(f"the import server did not start: {_last_line(log)}") from None
        lines = _Lines(process.stdout)
        ready = lines.next(timeout)
        if ready is None:
            reason = _last_line(log) or f"no answer within {timeout:g} s"
            raise ServerUnavailable(f"the import server did not start ({reason})")
        _announce(ready, on_note)
        threads = [str(name) for name in ready["threads"]]
        if len(threads) > 1:
            raise ServerUnavailable(
                f"preloading started {len(threads) - 1} thread(s) ({', '.join(threads[1:])}), "
                "and forking a threaded process can deadlock"
            )
        shared = 0
        expected = sum(1 for module, _ in batch.modules if module not in batch.context)
        while expected:
            message = lines.next(timeout + RESULT_SLACK)
            if message is None:
                reason = _last_line(log) or "no result"
                raise ServerUnavailable(f"the import server stopped ({reason})")
            if message.get("event") == "note":
                on_note(str(message["text"]))
                continue
            expected -= 1
            shared += bool(message.get("shared"))
            on_result(
                module_smoke(
                    batch.root,
                    str(message["module"]),
                    message["record"],
                    stderr=str(message["stderr"]),
                    status=message["status"],
                    timeout=timeout if message["timed_out"] else None,
                    seconds=float(message["seconds"]),
                )
            )
        return shared


def _announce(ready: Mapping[str, Any], on_note: Callable[[str], None]) -> None:
    purged = [str(name) for name in ready["purged"]]
    if purged:
        shown = ", ".join(purged[:5]) + (f" (+{len(purged) - 5} more)" if len(purged) > 5 else "")
        on_note(
            f"loading third-party packages imported project module(s) {shown}: removed again, "
            "so every module is imported by its own check"
        )
