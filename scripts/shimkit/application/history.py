"""What a step tells CHANGELOG.md: the modules it removed and the old -> new path of every name."""

from __future__ import annotations

from shimkit.application.workspace import Workspace
from shimkit.apply import ChangelogEntry, MovedName, add_entry
from shimkit.domain.model import ChangeKind, FileChange, Moves
from shimkit.domain.steps import StepSpec

CHANGELOG = "CHANGELOG.md"


def changelog_entry(step: StepSpec, moves: Moves, removed: tuple[str, ...]) -> ChangelogEntry:
    title = f"Step {step.number}: {step.title}" if step.number else step.title
    return ChangelogEntry(
        title=title,
        removed=removed,
        moves=tuple(
            MovedName(name, old, new, moves.new_name(old, name))
            for (old, name), new in sorted(moves.names.items())
        ),
    )


def changelog_change(
    workspace: Workspace, step: StepSpec, moves: Moves, removed: tuple[str, ...]
) -> FileChange | None:
    path = workspace.root / CHANGELOG
    old = path.read_text(encoding="utf-8") if path.is_file() else None
    new = add_entry(old, changelog_entry(step, moves, removed))
    return None if new == old else FileChange(CHANGELOG, old, new, ChangeKind.CHANGELOG)


def was_removed(workspace: Workspace, module: str) -> bool:
    """Whether an earlier run recorded removing ``module`` (so retiring it again is a no-op)."""
    path = workspace.root / CHANGELOG
    return path.is_file() and f"`{module}`" in path.read_text(encoding="utf-8")
