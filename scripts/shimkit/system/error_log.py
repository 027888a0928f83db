"""Where the full trace of an internal error goes: a log file in the temp dir, never the tree."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

__all__ = ["write_error_log"]


def write_error_log(trace: str) -> Path:
    """Write ``trace`` to a new file of its own (``shimkit-traceback-<time>-<pid>.log``) in the
    temp dir and return its path; raises OSError when it cannot be written."""
    stamp = time.strftime("%Y%m%dT%H%M%S")
    handle, name = tempfile.mkstemp(
        prefix=f"shimkit-traceback-{stamp}-{os.getpid()}-", suffix=".log"
    )
    with os.fdopen(handle, "w", encoding="utf-8") as log:
        log.write(trace)
    return Path(name)
