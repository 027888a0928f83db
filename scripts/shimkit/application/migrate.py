"""Whole runs: the five steps in order, and retiring an arbitrary set of shims."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from shimkit.application.history import was_removed
from shimkit.application.inventory_step import run_inventory, take_inventory
from shimkit.application.options import RunOptions
from shimkit.application.ports import Reporter
from shimkit.application.rewrite_step import run_rewrite_step
from shimkit.application.verify_step import report, run_verify, verify
from shimkit.application.workspace import Workspace, analyse
from shimkit.apply import apply_changes, require_clean
from shimkit.apply.state_file import read_json, state_path, write_json
from shimkit.apply.tree_diff import tree_changes
from shimkit.domain.errors import KitError
from shimkit.domain.steps import (
    consolidate_step,
    remove_deprecated_step,
    retire_step,
    update_imports_step,
)

_NOT_COPIED = shutil.ignore_patterns(".tox", ".venv", "__pycache__", ".mypy_cache")


@contextmanager
def _working_copy(workspace: Workspace) -> Iterator[Workspace]:
    with tempfile.TemporaryDirectory(prefix="shimkit-migration-") as temp:
        copy = Path(temp) / workspace.root.name
        shutil.copytree(workspace.root, copy, symlinks=True, ignore=_NOT_COPIED)
        yield Workspace(copy, workspace.src, workspace.plan)


def _all_steps(workspace: Workspace, reporter: Reporter) -> int:
    """Steps 1-5 in order on a tree the run owns; stops at the first that fails or refuses."""
    writing = RunOptions(write=True, allow_dirty=True)
    status = run_inventory(workspace, reporter, write_contracts=True, options=writing)
    for step in (consolidate_step, remove_deprecated_step, update_imports_step):
        if status:
            return status
        status = run_rewrite_step(workspace, step(workspace.plan), writing, reporter)
    return status or run_verify(workspace, reporter)


def migrate(workspace: Workspace, options: RunOptions, reporter: Reporter) -> int:
    """Steps 1-5, carried out on a working copy of the tree.

    Only when every step succeeded and verification passed are the copy's changes written to the
    real tree, in one all-or-nothing write: a failure anywhere leaves the tree as it was.
    """
    workspace.check()
    if options.write:
        require_clean(workspace.root, options.allow_dirty)
    with _working_copy(workspace) as copy:
        reporter.info(f"working on a temporary copy of the tree: {copy.root}")
        status = _all_steps(copy, reporter)
        changes = tree_changes(workspace.root, copy.root)
        if status:
            reporter.info("the migration did not pass: your tree was not changed")
            return status
        if options.check:
            return 1 if changes.changes else 0
        if not options.write:
            reporter.info("rehearsal finished, nothing written: pass --write to carry it out")
            return 0
        apply_changes(workspace.root, changes)
        baseline = read_json(state_path(copy.root))
        if baseline is not None:
            write_json(state_path(workspace.root), baseline)
    reporter.info(f"migration written: {len(changes.changes)} file(s) changed in {workspace.root}")
    return 0


def run_retire(
    workspace: Workspace,
    modules: tuple[str, ...],
    deprecated: bool,
    options: RunOptions,
    reporter: Reporter,
) -> int:
    """Retire the named shims (and, with ``deprecated``, every shim that warns), then verify."""
    workspace.check()
    # one look at the tree serves the baseline and the rewrite: the tree does not change between
    analysis = analyse(workspace, extra_shims=modules)
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
        return run_rewrite_step(workspace, step, options, reporter, analysis)
    require_clean(workspace.root, options.allow_dirty)
    take_inventory(workspace, reporter, analysis)
    writing = RunOptions(write=True, allow_dirty=True)
    status = run_rewrite_step(workspace, step, writing, reporter, analysis)
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
