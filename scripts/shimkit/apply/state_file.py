"""Where step 1 leaves its inventory for step 5: in the git directory, never in the work tree."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from shimkit.apply.errors import ApplyError
from shimkit.apply.git import git_dir

STATE_DIR = "shimkit"
INVENTORY = "inventory.json"


def state_path(root: Path) -> Path:
    base = git_dir(root)
    return (base / STATE_DIR if base else root / ".shimkit") / INVENTORY


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` to ``path`` atomically (a temp file renamed into place)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            json.dump(data, stream, indent=2, sort_keys=True)
            stream.write("\n")
        os.replace(temp, path)
    except OSError as error:
        raise ApplyError(f"cannot write {path}: {error.strerror or error}") from error


def write_text(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        os.replace(temp, path)
    except OSError as error:
        raise ApplyError(f"cannot write {path}: {error.strerror or error}") from error


def read_json(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else None
