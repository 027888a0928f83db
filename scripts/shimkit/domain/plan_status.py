"""The status block of a plan document, in the plan's own format, and moving a step to done.

The block the kit keeps current (every other byte of the document stays)::

    ## Status

    **Last Updated**: 2026-01-14

    ### Completed Steps
    - None yet

    ### Pending Steps
    - ⏳ Step 1: Analyze and document all re-export layers
    - ⏳ Step 2: ...

A step that is done leaves "Pending Steps" and joins "Completed Steps" (in step order, the
placeholder going away) as ``- ✅ Step N: <its title> (<date>, on top of <commit>)``: the commit
the step was carried out on. A file cannot name the commit that contains it, so with ``--commit``
the step's own commit is the one after that, marked by its ``Shim-Step: N`` trailer. When no step
is left pending, "Pending Steps" says ``- None``. "Last Updated" takes the date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from shimkit.domain.errors import KitError

PENDING = "⏳"
DONE = "✅"
_STEP = re.compile(r"^- (?P<mark>⏳|✅) Step (?P<number>\d+):(?P<title>.*?)(?P<eol>\r?\n?)$")
_LAST_UPDATED = re.compile(r"^(?P<head>\*\*Last Updated\*\*:[ \t]*)(?P<value>.*?)(?P<eol>\r?\n?)$")
_NONE = re.compile(r"^- None\b")


class PlanDocError(KitError):
    """The document has no status block the kit can keep current."""


@dataclass(frozen=True)
class _Section:
    heading: int  # index of its ``### `` line
    end: int  # index after its last line


@dataclass(frozen=True)
class _Block:
    last_updated: int
    completed: _Section
    pending: _Section


def _section(lines: list[str], start: int, end: int, title: str) -> _Section:
    for index in range(start, end):
        if lines[index].rstrip("\r\n").strip() == f"### {title}":
            stop = next(
                (i for i in range(index + 1, end) if lines[i].startswith("#")),
                end,
            )
            return _Section(index, stop)
    raise PlanDocError(f'the plan document\'s status block has no "### {title}" section')


def _block(lines: list[str]) -> _Block:
    start = next(
        (i for i, line in enumerate(lines) if line.rstrip("\r\n").strip() == "## Status"), None
    )
    if start is None:
        raise PlanDocError('the plan document has no "## Status" section')
    end = next(
        (i for i in range(start + 1, len(lines)) if re.match(r"^##? ", lines[i])), len(lines)
    )
    updated = next((i for i in range(start, end) if _LAST_UPDATED.match(lines[i])), None)
    if updated is None:
        raise PlanDocError('the plan document\'s status block has no "**Last Updated**:" line')
    return _Block(
        updated,
        _section(lines, start, end, "Completed Steps"),
        _section(lines, start, end, "Pending Steps"),
    )


def _items(lines: list[str], section: _Section) -> list[int]:
    return [i for i in range(section.heading + 1, section.end) if lines[i].startswith("- ")]


def step_states(text: str) -> dict[int, bool]:
    """Step number -> whether it is completed, as the document's status block says (raises
    ``PlanDocError`` when there is no block in the expected format)."""
    lines = text.splitlines(keepends=True)
    block = _block(lines)
    states: dict[int, bool] = {}
    for section, done in ((block.pending, False), (block.completed, True)):
        for index in _items(lines, section):
            match = _STEP.match(lines[index])
            if match is not None:
                states[int(match["number"])] = done
    return states


def without_status(text: str) -> str:
    """The document with its status block left out: what ``mark_done`` never changes."""
    lines = text.splitlines(keepends=True)
    block = _block(lines)
    start = min(block.last_updated, block.completed.heading, block.pending.heading)
    end = max(block.completed.end, block.pending.end)
    return "".join(lines[:start] + lines[end:])


def mark_done(text: str, step: int, on: date, commit: str | None) -> str:
    """``text`` with ``step`` moved from pending to completed; unchanged when it is completed
    already. Raises ``PlanDocError`` when the document does not list the step."""
    lines = text.splitlines(keepends=True)
    block = _block(lines)
    states = step_states(text)
    if states.get(step):
        return text
    if step not in states:
        raise PlanDocError(f"the plan document's status block does not list step {step}")
    pending = next(
        i
        for i in _items(lines, block.pending)
        if (m := _STEP.match(lines[i])) is not None and int(m["number"]) == step
    )
    found = _STEP.match(lines[pending])
    assert found is not None  # the index was chosen by this very match
    eol = found["eol"] or _eol(lines)
    where = f"{on.isoformat()}, on top of {commit}" if commit else on.isoformat()
    done_line = f"- {DONE} Step {step}:{found['title']} ({where}){eol}"

    completed = _items(lines, block.completed)
    earlier = [
        i for i in completed if (m := _STEP.match(lines[i])) is not None and int(m["number"]) < step
    ]
    placeholders = [i for i in completed if _NONE.match(lines[i])]
    insert_at = (earlier[-1] + 1) if earlier else (completed[0] if completed else None)
    if insert_at is None:
        insert_at = block.completed.heading + 1

    edits: dict[int, list[str]] = {}  # line index -> what replaces it
    edits[pending] = [] if len(_items(lines, block.pending)) > 1 else [f"- None{eol}"]
    for index in placeholders:
        edits[index] = []
    updated = _LAST_UPDATED.match(lines[block.last_updated])
    assert updated is not None
    edits[block.last_updated] = [f"{updated['head']}{on.isoformat()}{updated['eol']}"]

    out: list[str] = []
    for index, line in enumerate(lines):
        if index == insert_at:
            out.append(done_line)
        out.extend(edits.get(index, [line]))
    if insert_at == len(lines):
        out.append(done_line)
    return "".join(out)


def _eol(lines: list[str]) -> str:
    return "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
