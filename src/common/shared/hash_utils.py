"""Basic, deterministic hash computation (no MLflow knowledge)."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def compute_hash_64(data: str | bytes) -> str:
    """Full SHA-256 hex digest (64 characters) of ``data`` (text is UTF-8 encoded)."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return hashlib.sha256(raw).hexdigest()


def compute_hash_16(data: str | bytes) -> str:
    """The first 16 characters of :func:`compute_hash_64`: short enough for tags and run names."""
    return compute_hash_64(data)[:16]


def compute_json_hash(obj: Any, length: int = 64) -> str:
    """Hash of the canonical JSON form of ``obj`` (sorted keys, compact separators).

    Two mappings that differ only in key order hash equally. ``length`` truncates the hex digest
    (1..64). Values JSON cannot encode are hashed through ``str``.
    """
    if not 1 <= length <= 64:
        raise ValueError(f"length must be between 1 and 64, got {length}")
    canonical = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)
    return compute_hash_64(canonical)[:length]
