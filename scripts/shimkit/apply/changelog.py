"""CHANGELOG.md entries in Keep a Changelog format (pure text -> text)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["ChangelogEntry", "MovedName", "add_entry"]

HEADER = "# Changelog"
INTRO = (
    "All notable changes to this project will be documented in this file.\n"
    "\n"
    "The format is based on [Keep a Changelog](https://keepachangelog.com/en/1.1.0/)."
)
UNRELEASED = "## [Unreleased]"
# Keep a Changelog's order of change types within a release
ORDER = ("Added", "Changed", "Deprecated", "Removed", "Fixed", "Security")

_H2 = re.compile(r"^##(?!#)\s*")
_UNRELEASED = re.compile(r"^##\s*\[?unreleased\]?\s*$", re.IGNORECASE)
_H3 = re.compile(r"^###(?!#)\s*(.*?)\s*$")
_MODULE_LINE = re.compile(r"^  - `(?P<module>[^`]+)`\s*$")
_MOVE_ROW = re.compile(r"^  \| `(?P<name>[^`]+)` \| `(?P<old>[^`]+)` \| `(?P<new>[^`]+)` \|\s*$")


@dataclass(frozen=True)
class MovedName:
    """One public name whose import path changed. ``new_name`` is its name at the new path when
    the old module re-exported it under an alias (``from core import compute_price as price``)."""

    name: str
    old_module: str
    new_module: str
    new_name: str = ""

    @property
    def old_path(self) -> str:
        return f"{self.old_module}.{self.name}"

    @property
    def new_path(self) -> str:
        return f"{self.new_module}.{self.new_name or self.name}"


@dataclass(frozen=True)
class ChangelogEntry:
    """What one step changed, e.g. title "Step 2: Consolidate re-export layers"."""

    title: str
    removed: tuple[str, ...] = ()  # modules deleted
    moves: tuple[MovedName, ...] = ()


def _removed_item(entry: ChangelogEntry) -> list[str]:
    lines = [f"- {entry.title}: removed modules"]
    lines += [f"  - `{module}`" for module in sorted(set(entry.removed))]
    return lines


def _changed_item(entry: ChangelogEntry) -> list[str]:
    rows = sorted(set(entry.moves), key=lambda m: (m.old_module, m.name, m.new_module))
    lines = [
        f"- {entry.title}: import paths moved",
        "",
        "  | Name | Old import path | New import path |",
        "  | --- | --- | --- |",
    ]
    lines += [f"  | `{m.name}` | `{m.old_path}` | `{m.new_path}` |" for m in rows]
    return lines


def _section_end(lines: Sequence[str], start: int, heading: re.Pattern[str]) -> int:
    """Index of the first line after ``start`` matching ``heading`` (or an H1/H2), else len."""
    for index in range(start + 1, len(lines)):
        line = lines[index]
        if heading.match(line) or _H2.match(line) or line.startswith("# "):
            return index
    return len(lines)


def _trim_blank_tail(lines: list[str], start: int, end: int) -> int:
    while end > start and not lines[end - 1].strip():
        end -= 1
    return end


def _item_span(lines: Sequence[str], start: int, end: int, first_line: str) -> tuple[int, int]:
    """The span of the top-level list item beginning with ``first_line`` in ``lines[start:end]``."""
    for index in range(start, end):
        if lines[index] == first_line:
            stop = index + 1
            while stop < end and not lines[stop].startswith("- "):
                stop += 1
            while stop > index + 1 and not lines[stop - 1].strip():
                stop -= 1
            return index, stop
    return -1, -1


def _subsections(lines: Sequence[str], release: int) -> dict[str, int]:
    """The ``### name`` headings of the release at ``release``: lower-case name -> index."""
    end = _section_end(lines, release, _H2)
    subsections: dict[str, int] = {}
    for index in range(release + 1, end):
        match = _H3.match(lines[index])
        if match:
            subsections.setdefault(match.group(1).strip().lower(), index)
    return subsections


def _item_lines(lines: Sequence[str], release: int, name: str, first_line: str) -> list[str]:
    """The lines of the item beginning with ``first_line`` in ``### name``, if there is one."""
    head = _subsections(lines, release).get(name.lower())
    if head is None:
        return []
    first, last = _item_span(lines, head + 1, _section_end(lines, head, _H3), first_line)
    return list(lines[first:last]) if first >= 0 else []


def _merged(lines: Sequence[str], release: int, entry: ChangelogEntry) -> ChangelogEntry:
    """``entry`` with the modules and rows an earlier entry of the same title already lists: a
    step written again (after an interrupted run, say) never loses what the first write said."""
    removed = set(entry.removed)
    for line in _item_lines(lines, release, "Removed", _removed_item(entry)[0]):
        if match := _MODULE_LINE.match(line):
            removed.add(match["module"])
    moves = set(entry.moves)
    for line in _item_lines(lines, release, "Changed", _changed_item(entry)[0]):
        match = _MOVE_ROW.match(line)
        if match and match["old"].endswith(f".{match['name']}"):
            old_module = match["old"][: -len(match["name"]) - 1]
            new_module = match["new"].removesuffix(f".{match['name']}")
            moves.add(MovedName(match["name"], old_module, new_module))
    return ChangelogEntry(entry.title, tuple(sorted(removed)), tuple(moves))


def _put_item(lines: list[str], release: int, name: str, item: list[str]) -> None:
    """Put ``item`` in subsection ``### name`` of the release starting at ``release``."""
    end = _section_end(lines, release, _H2)
    subsections = _subsections(lines, release)
    if name.lower() in subsections:
        head = subsections[name.lower()]
        stop = _section_end(lines, head, _H3)
        first, last = _item_span(lines, head + 1, stop, item[0])
        if first >= 0:  # the same title: the merged item replaces it (no change if identical)
            lines[first:last] = item
            return
        stop = _trim_blank_tail(lines, head + 1, stop)
        block = ["", *item]
        if stop < len(lines) and lines[stop].strip():
            block.append("")
        lines[stop:stop] = block
        return
    # a new subsection, placed in Keep a Changelog order among the existing ones
    rank = ORDER.index(name) if name in ORDER else len(ORDER)
    insert_at = None
    for other, index in sorted(subsections.items(), key=lambda kv: kv[1]):
        other_rank = next((i for i, o in enumerate(ORDER) if o.lower() == other), len(ORDER))
        if other_rank > rank:
            insert_at = index
            break
    if insert_at is not None:
        lines[insert_at:insert_at] = [f"### {name}", "", *item, ""]
        return
    insert_at = _trim_blank_tail(lines, release + 1, end)
    block = ["", f"### {name}", "", *item]
    if insert_at < len(lines) and lines[insert_at].strip():
        block.append("")
    lines[insert_at:insert_at] = block


def add_entry(text: str | None, entry: ChangelogEntry) -> str:
    """Return the CHANGELOG.md text with ``entry`` under ``## [Unreleased]``.

    ``text`` None (no file yet) starts a new changelog. Adding the same entry again changes
    nothing; an entry with the same title but other contents is merged into the earlier one (the
    union of their removed modules and of their rows).
    """
    newline = "\r\n" if text and "\r\n" in text else "\n"
    if not text or not text.strip():
        text = f"{HEADER}\n\n{INTRO}\n"
    lines = text.replace("\r\n", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()

    release = next((i for i, line in enumerate(lines) if _UNRELEASED.match(line)), -1)
    if release < 0:
        first_release = next((i for i, line in enumerate(lines) if _H2.match(line)), -1)
        if first_release < 0:
            end = _trim_blank_tail(lines, 0, len(lines))
            lines[end:] = ["", UNRELEASED]
            release = end + 1
        else:
            lines[first_release:first_release] = [UNRELEASED, ""]
            release = first_release

    entry = _merged(lines, release, entry)
    if entry.moves:
        _put_item(lines, release, "Changed", _changed_item(entry))
    if entry.removed:
        _put_item(lines, release, "Removed", _removed_item(entry))
    return newline.join(lines) + newline
