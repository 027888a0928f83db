"""Whole runs: the five steps in order, and retiring an arbitrary set of shims."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from shimkit.application.history import was_removed
from shimkit.application.inventory_step import run_inventory, take_inventory
from shimkit.application.options import RunOptions
from shimkit.application.ports import Reporter
from shimkit.application.rewrite_step import run_rewrite_step
from shimkit.application.verify_step import report, run_verify, verify
from shimkit.application.workspace import Workspace, analyse
from shimkit.apply import require_clean
from shimkit.domain.errors import KitError
from shimkit.domain.steps import (
    consolidate_step,
    remove_deprecated_step,
    retire_step,
    update_imports_step,
)

_IGNORED_IN_REHEARSAL = shutil.ignore_patterns(".tox", ".venv", "__pycache__", ".mypy_cache")


def _rehearse(workspace: Workspace, reporter: Reporter, run: Callable[[Workspace], int]) -> int:
    """Carry the run out on a temporary copy of the tree; the user's tree is never written."""
    with tempfile.TemporaryDirectory(prefix="shimkit-rehearsal-") as temp:
        copy = Path(temp) / workspace.root.name
        shutil.copytree(workspace.root, copy, symlinks=True, ignore=_IGNORED_IN_REHEARSAL)
        reporter.info(f"rehearsal on a temporary copy ({copy}); your tree is not written")
        status = run(Workspace(copy, workspace.src, workspace.plan))
    reporter.info("rehearsal finished: pass --write to carry the migration out")
    return status


def migrate(workspace: Workspace, options: RunOptions, reporter: Reporter) -> int:
    """Steps 1-5 in order; stops at the first step that fails or refuses."""
    workspace.check()
    if not options.write:
        return _rehearse(
            workspace,
            reporter,
            lambda copy: migrate(copy, RunOptions(write=True, allow_dirty=True), reporter),
        )
    require_clean(workspace.root, options.allow_dirty)
    writing = RunOptions(write=True, allow_dirty=True)  # the tree was clean before step 1
    status = run_inventory(workspace, reporter, write_contracts=True, options=writing)
    for step in (consolidate_step, remove_deprecated_step, update_imports_step):
        if status:
            return status
        status = run_rewrite_step(workspace, step(workspace.plan), writing, reporter)
    return status or run_verify(workspace, reporter)


def run_retire(
    workspace: Workspace,
    modules: tuple[str, ...],
    deprecated: bool,
    options: RunOptions,
    reporter: Reporter,
) -> int:
    """Retire the named shims (and, with ``deprecated``, every shim that warns), then verify."""
    workspace.check()
    analysis = analyse(workspace)
    if deprecated:
        warning = tuple(s.module for s in analysis.inventory.shims if s.warns)
        modules = tuple(dict.fromkeys((*modules, *warning)))
    present = tuple(m for m in modules if analysis.codebase.has_module(m))
    unknown = [m for m in modules if m not in present and not was_removed(workspace, m)]
    if unknown:
        raise KitError(
            f"no module {unknown[0]} under {workspace.src}/ (nor a record of its removal "
            "in CHANGELOG.md)"
        )
    if not present:
        reporter.info("nothing to do: " + (", ".join(modules) or "no shim warns on import"))
        return 0
    step = retire_step(present, _kept(workspace, present))
    if not options.write:
        return run_rewrite_step(workspace, step, options, reporter)
    require_clean(workspace.root, options.allow_dirty)
    take_inventory(workspace, reporter)
    status = run_rewrite_step(workspace, step, RunOptions(write=True, allow_dirty=True), reporter)
    if status:
        return status
    reporter.heading("Verify")
    result = verify(workspace, reporter, retired=present, contracts_required=False)
    report(result, reporter)
    return 0 if result.ok else 1


def _kept(workspace: Workspace, modules: tuple[str, ...]) -> tuple[str, ...]:
    overlap = set(modules) & set(workspace.plan.keep)
    if overlap:
        raise KitError(f"the plan keeps {', '.join(sorted(overlap))}; it cannot be retired")
    return workspace.plan.keep
