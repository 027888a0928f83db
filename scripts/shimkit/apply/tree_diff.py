"""The change set that turns one tree into another: how a migration rehearsed on a copy is carried
over to the real tree in one all-or-nothing write."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from shimkit.domain.folders import is_temp_name, outside_content
from shimkit.domain.model import ChangeKind, ChangeSet, FileChange

# latin-1 maps every byte to one character and back: the change set carries both trees' exact
# bytes whatever their encodings
BYTES = "latin-1"


def _files(root: Path) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in root.rglob("*"):
        relative = path.relative_to(root)
        if outside_content(relative.parts) or is_temp_name(path.name):
            continue
        if not path.is_file() or path.is_symlink():
            continue
        found[relative.as_posix()] = path
    return found


def tree_changes(before: Path, after: Path, paths: Collection[str] | None = None) -> ChangeSet:
    """Every file created, changed or deleted going from ``before`` to ``after`` (among ``paths``
    only, when given: what a run changed, not what its test runs left behind)."""
    if paths is None:
        old, new = _files(before), _files(after)
    else:
        old = {p: before / p for p in paths if (before / p).is_file()}
        new = {p: after / p for p in paths if (after / p).is_file()}
    changes: list[FileChange] = []
    for path in sorted(old.keys() | new.keys()):
        old_bytes = old[path].read_bytes() if path in old else None
        new_bytes = new[path].read_bytes() if path in new else None
        if old_bytes == new_bytes:
            continue
        changes.append(
            FileChange(
                path,
                None if old_bytes is None else old_bytes.decode(BYTES),
                None if new_bytes is None else new_bytes.decode(BYTES),
                ChangeKind.MIGRATION,
                BYTES,
            )
        )
    return ChangeSet(tuple(changes))
