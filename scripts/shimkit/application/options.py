"""How a run was asked to behave."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RunOptions:
    write: bool = False  # apply the changes (default: show a diff only)
    check: bool = False  # exit 1 when changes are pending
    allow_dirty: bool = False  # write even when the git tree has uncommitted changes
    commit: bool = False  # each step's written change becomes a commit of its own
    strict: bool = False  # step 1: an unmet precondition fails the run (default: a warning)


@dataclass(frozen=True)
class ImportOptions:
    """How import checks run (step 1's baseline, step 5, the import smoke, retire_shims)."""

    all_modules: bool = False  # import every module, not only those the change can affect
    fresh_interpreters: bool = False  # one fresh interpreter per module instead of forking
    jobs: int | None = None  # imports at once (default: one per core)
