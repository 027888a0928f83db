"""Where step 1 leaves its inventory for step 5: in the git directory, never in the work tree."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from shimkit.domain.folders import KIT_STATE_DIR
from shimkit.system.files import write_atomic
from shimkit.system.git import git_dir

STATE_DIR = "shimkit"
INVENTORY = "inventory.json"


def state_dir(root: Path) -> Path:
    """The kit's folder for ``root``: ``<git-dir>/shimkit``, else ``<root>/.shimkit``."""
    base = git_dir(root)
    return base / STATE_DIR if base else Path(root) / KIT_STATE_DIR


def state_path(root: Path) -> Path:
    return state_dir(root) / INVENTORY


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` to ``path`` atomically (a temp file renamed into place)."""
    write_text(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


def write_text(path: Path, text: str) -> None:
    write_atomic(path, text.encode("utf-8"))


def read_json(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else None
