"""The journal that makes a multi-file write a transaction the next run can finish or undo.

``apply_changes`` writes it (``<git-dir>/shimkit/journal.json``, or ``<root>/.shimkit/`` outside
git) before it creates anything in the tree: every path with the sha256 of its old and new bytes
(None: the file does not exist), the temporary file that will hold the new bytes, and a backup
of the old bytes in ``journal-backup/``. Then backups, temporary files, renames and deletions;
the journal goes last. :func:`recover`, which every run calls first, reads a journal left by a
killed run: when every new content is available (the temporary file holds it, or the target
already does) it finishes the renames, else it puts every file back to its old bytes. Either way
it then removes the journal, the backups and every temporary file of the write. A write whose
change was verified before it began (on a working copy) says so in its journal, and a recovery
that finishes it says so too: the rerun that then finds nothing to do stands on a verified result.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from enum import StrEnum
from pathlib import Path
from typing import Any

from shimkit.apply.errors import ApplyError
from shimkit.apply.state_file import state_dir
from shimkit.domain.folders import is_temp_name, outside_content
from shimkit.system.files import create_temp, fsync_dir, reason, sha256_of, temp_name, write_atomic
from shimkit.system.scratch import discard_tree, is_owned_name, remove_orphaned_scratch

__all__ = ["Entry", "Journal", "RecoveryOutcome", "recover"]

JOURNAL = "journal.json"
BACKUPS = "journal-backup"
VERSION = 1
# from this many backups on, they are removed by a process of their own (see ``_remove_backups``)
BACKUPS_REMOVED_APART = 200


@dataclass(frozen=True)
class Entry:
    """One file of the write. ``temp`` and ``backup`` are None where there is nothing to hold."""

    path: str  # relative to the root, POSIX
    old: str | None  # sha256 of the bytes before; None: the file did not exist
    new: str | None  # sha256 of the bytes after; None: the file is deleted
    temp: str | None  # relative to the root: holds the new bytes until renamed
    backup: str | None  # name in the backup folder: holds the old bytes
    old_mode: int | None = None


_ENTRY_FIELDS = fields(Entry)


@dataclass(frozen=True)
class Journal:
    entries: tuple[Entry, ...]
    created_dirs: tuple[str, ...] = ()  # relative to the root, parents first
    verified: bool = False  # the change passed verification before the write began

    def to_json(self) -> str:
        data = {
            "version": VERSION,
            "entries": [
                {f.name: getattr(entry, f.name) for f in _ENTRY_FIELDS} for entry in self.entries
            ],
            "created_dirs": list(self.created_dirs),
            "verified": self.verified,
        }
        # on one line: json's C encoder writes it (an indented dump goes through the pure-Python
        # one, six times slower: 0.3 s for 9,000 entries); asdict would deep-copy every entry
        return json.dumps(data, sort_keys=True) + "\n"

    @staticmethod
    def from_json(text: str) -> Journal:
        """Raises ValueError for a journal that is not whole."""
        try:
            data: Any = json.loads(text)
            if data.get("version") != VERSION:
                raise ValueError(f"unknown journal version {data.get('version')!r}")
            return Journal(
                tuple(Entry(**entry) for entry in data["entries"]),
                tuple(str(d) for d in data["created_dirs"]),
                data.get("verified") is True,
            )
        except (AttributeError, KeyError, TypeError) as error:
            raise ValueError(f"malformed journal: {error}") from None


@dataclass(frozen=True)
class Place:
    """Where a tree's journal and backups live."""

    root: Path
    folder: Path

    @staticmethod
    def of(root: Path) -> Place:
        return Place(Path(root), state_dir(root))

    @property
    def journal(self) -> Path:
        return self.folder / JOURNAL

    @property
    def backups(self) -> Path:
        return self.folder / BACKUPS

    def target(self, entry: Entry) -> Path:
        return self.root / entry.path

    def write(self, journal: Journal) -> None:
        write_atomic(self.journal, journal.to_json().encode("utf-8"))


class Recovery(StrEnum):
    """What :func:`recover` did with an interrupted write."""

    NONE = "none"  # there was none (temporary files may still have been removed)
    COMPLETED = "completed"  # every new content was there: the write was finished
    ROLLED_BACK = "rolled back"  # some was lost: every file is back as it was
    DISCARDED = "discarded"  # the journal was unreadable (nothing had been renamed yet)


@dataclass(frozen=True)
class RecoveryOutcome:
    """What :func:`recover` did; ``describe()`` says it in one line (empty: nothing to do)."""

    action: Recovery = Recovery.NONE
    files: int = 0
    temps_removed: int = 0
    verified: bool = False  # the finished write had passed verification before it began

    def describe(self) -> str:
        if self.action is Recovery.COMPLETED and not self.files:
            head = "finished cleaning up after an interrupted write (every file was written)"
        elif self.action is Recovery.COMPLETED:
            head = f"finished an interrupted write: {self.files} file(s) got their new contents"
        elif self.action is Recovery.ROLLED_BACK and not self.files:
            head = "dropped an interrupted write that had not changed any file yet"
        elif self.action is Recovery.ROLLED_BACK:
            head = f"undid an interrupted write: {self.files} file(s) are back as they were"
        elif self.action is Recovery.DISCARDED:
            head = "discarded the unreadable journal of an interrupted write (nothing was renamed)"
        elif self.temps_removed:
            head = "cleaned up after an interrupted run"
        else:
            return ""
        if self.action is Recovery.COMPLETED and self.verified:
            head += " (verification passed before the write began)"
        if self.temps_removed:
            head += f"; removed {self.temps_removed} temporary file(s)"
        return head


def _digest(path: Path) -> str | None:
    try:
        return sha256_of(path.read_bytes())
    except FileNotFoundError:
        return None


def _available(place: Place, entry: Entry) -> bool:
    """Whether the new contents of ``entry`` can still be put in place."""
    if entry.new is None or _digest(place.target(entry)) == entry.new:
        return True
    return entry.temp is not None and _digest(place.root / entry.temp) == entry.new


def _finish(place: Place, entry: Entry) -> bool:
    """Put the new contents in place; whether anything had to change."""
    target = place.target(entry)
    if entry.new is None:
        if not (target.exists() or target.is_symlink()):
            return False
        target.unlink()
    else:
        if _digest(target) == entry.new:
            return False
        assert entry.temp is not None
        os.replace(place.root / entry.temp, target)
    fsync_dir(target.parent)
    return True


def _undo(place: Place, entry: Entry, kept: Mapping[str, bytes]) -> bool:
    """Put the old contents back (from the backup, else ``kept``: path -> old bytes, held by
    the process that writes); whether anything had to change."""
    target = place.target(entry)
    if _digest(target) == entry.old:
        return False
    if entry.old is None:
        target.unlink()
    else:
        backup = place.backups / entry.backup if entry.backup else None
        data = backup.read_bytes() if backup is not None and backup.is_file() else None
        data = kept.get(entry.path) if data is None else data
        if data is None or sha256_of(data) != entry.old:
            raise ApplyError(
                f"cannot undo the interrupted write of {entry.path}: its backup is missing or "
                f"damaged (the journal stays in {place.folder})"
            )
        temp = temp_name(target)
        create_temp(temp, data, entry.old_mode)
        os.replace(temp, target)
    fsync_dir(target.parent)
    return True


def _remove_temps(place: Place, journal: Journal, renamed: bool = False) -> int:
    """Every temporary file of the write, and strays in the folders it touched. ``renamed``:
    every temporary file the journal names was renamed into place (an unlink of each name would
    only fail, at the cost of a real one)."""
    removed = 0
    named = set() if renamed else {place.root / e.temp for e in journal.entries if e.temp}
    # the kit's own folder too, with its sub-folders: its state files are written atomically
    folders = {place.target(e).parent for e in journal.entries} | _own_folders(place)
    strays = {
        folder / name
        for folder in folders
        if folder.is_dir()
        for name in os.listdir(folder)
        if is_temp_name(name)
    }
    for temp in sorted(named | strays):
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
            removed += 1
    return removed


def _own_folders(place: Place) -> set[Path]:
    """The state folder and its sub-folders, but for backups a process of their own removes."""
    folders: set[Path] = set()
    for folder, subfolders, _ in os.walk(place.folder):
        subfolders[:] = [name for name in subfolders if not is_owned_name(name)]
        folders.add(Path(folder))
    return folders


def close(place: Place, journal: Journal, rolled_back: bool, renamed: bool = False) -> int:
    """Remove temporary files, (after a rollback) created folders left empty, the journal, and
    the backups, last (the write is whole without them; the next run removes any left); return
    how many temporary files were removed. ``renamed``: the write renamed every temporary file
    it names into place."""
    removed = _remove_temps(place, journal, renamed)
    if rolled_back:
        for folder in reversed(journal.created_dirs):
            with contextlib.suppress(OSError):
                (place.root / folder).rmdir()
    place.journal.unlink(missing_ok=True)
    fsync_dir(place.folder)
    # a process removing the backups apart may remove the state folder when it is done
    _remove_backups(place, sum(entry.backup is not None for entry in journal.entries))
    with contextlib.suppress(OSError):
        place.folder.rmdir()  # only when empty: a tree outside git keeps no empty .shimkit/
    return removed


def _remove_backups(place: Place, count: int) -> None:
    """Remove the ``count`` backups, and those a killed removing process left. A backup is the
    last link to an old content: where the filesystem discards freed blocks at once (mounted
    with ``discard``), each unlink waits for that, a millisecond or more, so many backups are
    moved aside at once and removed by a process of their own (the next run removes what a
    killed one left)."""
    if place.folder.is_dir():
        remove_orphaned_scratch(place.folder)
    if not place.backups.is_dir():
        return
    if count >= BACKUPS_REMOVED_APART:
        discard_tree(place.backups, base=place.folder)
        return
    for backup in place.backups.iterdir():
        backup.unlink(missing_ok=True)
    place.backups.rmdir()


def roll_back(place: Place, journal: Journal, kept: Mapping[str, bytes] | None = None) -> int:
    """Every file of the journal back to its old bytes; return how many had changed.
    ``kept``: old bytes of entries without a backup (path -> bytes)."""
    return sum(_undo(place, entry, kept or {}) for entry in journal.entries)


def settle(place: Place, journal: Journal) -> RecoveryOutcome:
    """Finish the write if every new content is available, else undo it; then clean up."""
    try:
        if all(_available(place, entry) for entry in journal.entries):
            changed = sum(_finish(place, entry) for entry in journal.entries)
            removed = close(place, journal, False)
            return RecoveryOutcome(Recovery.COMPLETED, changed, removed, journal.verified)
        changed = roll_back(place, journal)
        return RecoveryOutcome(Recovery.ROLLED_BACK, changed, close(place, journal, True))
    except OSError as error:
        raise ApplyError(
            f"cannot recover the interrupted write in {place.root}: {reason(error)} "
            f"(the journal stays in {place.folder})"
        ) from None


def recover(root: Path) -> RecoveryOutcome:
    """Finish or undo a write a killed run left half-done in ``root``, and remove its leftovers."""
    place = Place.of(root)
    if not place.journal.is_file():
        if not place.folder.is_dir():
            return RecoveryOutcome()
        return RecoveryOutcome(temps_removed=close(place, Journal(()), False))
    try:
        journal = Journal.from_json(place.journal.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        swept = _sweep_tree(place.root)
        return RecoveryOutcome(Recovery.DISCARDED, 0, swept + close(place, Journal(()), False))
    return settle(place, journal)


def _sweep_tree(root: Path) -> int:
    """Remove every temporary file of the kit under ``root`` (a journal that cannot be read
    does not say where its temporary files are)."""
    removed = 0
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = [d for d in subfolders if not outside_content((d,))]
        for name in names:
            if is_temp_name(name):
                with contextlib.suppress(FileNotFoundError):
                    (Path(folder) / name).unlink()
                    removed += 1
    return removed
