"""The plan document kept current: after each step that succeeds, its status block says so.

Without a plan document (``Plan.plan_doc`` unset) nothing changes; a plan document the tree does
not have is a warning (and the run goes on without it). The change is a ``FileChange`` like any
other, so a step writes it in the same all-or-nothing write (and the same commit) as its own
changes.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import date

from shimkit.application.ports import Reporter
from shimkit.application.run import Run
from shimkit.application.run_context import ports
from shimkit.application.workspace import Workspace
from shimkit.apply import GitState, apply_changes, repo_status, require_clean
from shimkit.apply.git_steps import short
from shimkit.domain.errors import KitError
from shimkit.domain.model import ChangeKind, ChangeSet, FileChange
from shimkit.domain.plan_status import mark_done, step_states, without_status


def _read(workspace: Workspace) -> str | None:
    name = workspace.plan.plan_doc
    if name is None or not (workspace.root / name).is_file():
        return None
    try:
        return (workspace.root / name).read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise KitError(f"cannot read the plan document {name}: {error}") from error


def check_plan_doc(workspace: Workspace, reporter: Reporter) -> Workspace:
    """Refuse (before any work) a plan document whose status block the kit cannot keep; a plan
    document the tree does not have is a warning, and the run goes on without one."""
    name = workspace.plan.plan_doc
    if name is None:
        return workspace
    text = _read(workspace)
    if text is None:
        reporter.warning(f"no plan document {name} in this tree: its status is not kept")
        return replace(workspace, plan=replace(workspace.plan, plan_doc=None))
    try:
        step_states(text)
    except KitError as error:
        raise KitError(f"{name}: {error}") from error
    return workspace


def plan_doc_change(
    workspace: Workspace, steps: Sequence[int], commit: str | None = None
) -> FileChange | None:
    """The plan document with ``steps`` marked done today, on top of ``commit`` (default: the
    tree's HEAD); None when there is no document or nothing to change."""
    text = _read(workspace)
    if text is None or workspace.plan.plan_doc is None:
        return None
    on = commit if commit is not None else repo_status(workspace.repository).head
    new = text
    for step in steps:
        new = mark_done(new, step, date.today(), short(on) if on else None)
    if new == text:
        return None
    return FileChange(workspace.plan.plan_doc, text, new, ChangeKind.PLAN_DOC)


def require_clean_but_status(
    workspace: Workspace,
    allow_dirty: bool,
    writes: Collection[str] = (),
    state: GitState | None = None,
) -> None:
    """``require_clean`` (``writes``: the paths the run would write, where an untracked file is
    uncommitted work too), where a plan document whose only change since HEAD is its status block
    (what an earlier step wrote) is not uncommitted work: the next step writes it again.
    ``state``: the tree's ``repo_status``, when the run took it already (and wrote nothing
    since); one ``git status`` of a large tree takes a second."""
    doc = workspace.plan.plan_doc
    state = repo_status(workspace.root) if state is None else state
    untouched = not set(state.untracked) & set(writes)
    if (
        not allow_dirty
        and doc is not None
        and state.is_repo
        and set(state.dirty) == {doc}
        and untouched
    ):
        committed = ports().git.file_at(workspace.root, "HEAD", doc)
        text = _read(workspace)
        try:
            if (
                committed is not None
                and text is not None
                and without_status(committed.decode("utf-8")) == without_status(text)
            ):
                return
        except (KitError, UnicodeDecodeError):
            pass  # not the kit's change: refused below, like any other
    require_clean(workspace.root, allow_dirty, writes, state=state)


def mark_steps_done(run: Run, steps: Sequence[int]) -> None:
    """Write the plan document with ``steps`` marked done (steps 1 and 5, which write nothing
    else of their own)."""
    change = plan_doc_change(run.workspace, steps)
    if change is None:
        return
    apply_changes(run.workspace.root, ChangeSet((change,)))
    run.reporter.info(f"plan document {change.path}: {done(steps)} marked done")


def done(steps: Sequence[int]) -> str:
    return ", ".join(f"step {step}" for step in steps)
