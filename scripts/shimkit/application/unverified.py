"""A result written before it was verified (``retire_shims --write`` verifies after writing): the
record that says so until verification has run, so a run killed in between is verified by the
next one instead of being taken for "nothing to do"."""

from __future__ import annotations

from shimkit.application.workspace import Workspace
from shimkit.apply.state_file import read_json, state_dir, write_json

RECORD = "unverified.json"


def mark_unverified(workspace: Workspace, retired: tuple[str, ...]) -> None:
    write_json(state_dir(workspace.root) / RECORD, {"retired": list(retired)})


def clear_unverified(workspace: Workspace) -> None:
    (state_dir(workspace.root) / RECORD).unlink(missing_ok=True)


def unverified(workspace: Workspace) -> tuple[str, ...]:
    """The modules an interrupted run retired without verifying the result (usually none)."""
    data = read_json(state_dir(workspace.root) / RECORD)
    retired = data.get("retired") if data else None
    return tuple(str(m) for m in retired) if isinstance(retired, list) else ()
