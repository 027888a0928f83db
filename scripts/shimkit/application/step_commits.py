"""One commit per step (``--commit``): what a step changed, and the message that says so.

The message names the step and what it removed or moved; its trailer ``Shim-Step: <step>`` marks
it as the kit's, which is how ``rollback.py`` finds it again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from shimkit.application.ports import Reporter
from shimkit.application.workspace import Workspace
from shimkit.apply.git_steps import commit_paths, tracked
from shimkit.domain.model import ChangeSet, FileChange, Moves
from shimkit.domain.step_commit import TRAILER

RETIRE = "retire"
MAX_LISTED = 12  # moved names listed in a message; the CHANGELOG entry has them all


@dataclass(frozen=True)
class AppliedStep:
    """A step's change, as written (or to be written) to the tree."""

    step: str  # "1".."5", or RETIRE
    title: str
    changes: ChangeSet
    removed: tuple[str, ...] = ()  # modules it deleted
    moved: tuple[str, ...] = ()  # "old.path.name -> new.path.name" of every name it moved

    def with_change(self, change: FileChange | None) -> AppliedStep:
        if change is None:
            return self
        return replace(self, changes=ChangeSet((*self.changes.changes, change)))

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(sorted({change.path for change in self.changes.changes}))


def moved_paths(moves: Moves) -> tuple[str, ...]:
    return tuple(
        f"{old}.{name} -> {new}.{moves.new_name(old, name)}"
        for (old, name), new in sorted(moves.names.items())
    )


def step_message(applied: AppliedStep) -> str:
    subject = (
        f"Shim step {applied.step}: {applied.title}"
        if applied.step != RETIRE
        else applied.title
    )
    body: list[str] = []
    if applied.removed:
        body.append("Removed: " + ", ".join(applied.removed))
    if applied.moved:
        body.append(f"Moved {len(applied.moved)} import path(s):")
        body += [f"  {line}" for line in applied.moved[:MAX_LISTED]]
        if len(applied.moved) > MAX_LISTED:
            body.append(f"  ... and {len(applied.moved) - MAX_LISTED} more (see CHANGELOG.md)")
    body.append(_files_line(applied.paths))
    return "\n".join([subject, "", *body, "", f"{TRAILER}: {applied.step}"]) + "\n"


def _files_line(paths: Sequence[str]) -> str:
    shown = ", ".join(paths[:8]) + (f" (+{len(paths) - 8} more)" if len(paths) > 8 else "")
    return f"Files: {shown}"


def commit_step(workspace: Workspace, applied: AppliedStep) -> tuple[str, tuple[str, ...]]:
    """Commit exactly the files the step wrote, but for the untracked files it rewrote (written
    with ``--allow-dirty``): those stay the user's, out of the commit and so out of any rollback.
    Return the commit and the files left out."""
    known = tracked(workspace.root, applied.paths)
    theirs = tuple(
        c.path for c in applied.changes.changes if c.old_text is not None and c.path not in known
    )
    kept = tuple(c for c in applied.changes.changes if c.path not in theirs)
    ours = replace(applied, changes=ChangeSet(kept))
    return commit_paths(workspace.root, ours.paths, step_message(ours)), theirs


def report_left_out(paths: Sequence[str], reporter: Reporter) -> None:
    if paths:
        reporter.warning(
            "rewritten but left out of the commit (untracked, so a rollback leaves them as they "
            f"are now): {', '.join(paths)}"
        )
