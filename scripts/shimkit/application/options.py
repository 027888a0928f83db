"""How a run was asked to behave."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RunOptions:
    write: bool = False  # apply the changes (default: show a diff only)
    check: bool = False  # exit 1 when changes are pending
    allow_dirty: bool = False  # write even when the git tree has uncommitted changes
