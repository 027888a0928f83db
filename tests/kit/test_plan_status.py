"""The plan document's status block, in the plan's own format: a step moves from pending to done,
and every other byte of the document stays."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from kit_helpers import REPO
from shimkit.domain.plan_status import PlanDocError, mark_done, step_states

PLAN_DOC = REPO / "tests/fixtures/legacy/docs/plans/consolidate-mlflow-utilities.plan.md"
DAY = date(2026, 2, 3)


def _document() -> str:
    return PLAN_DOC.read_bytes().decode("utf-8")


def _outside_status(text: str) -> tuple[str, str]:
    start = text.index("## Status")
    end = text.index("## Preconditions")
    return text[:start], text[end:]


def test_a_step_moves_from_pending_to_completed_and_nothing_else_changes() -> None:
    before = _document()
    after = mark_done(before, 1, DAY, "0123456789")

    assert _outside_status(after) == _outside_status(before)
    block = after[after.index("## Status") : after.index("## Preconditions")]
    assert "**Last Updated**: 2026-02-03\n" in block
    completed = block[block.index("### Completed Steps") : block.index("### Pending Steps")]
    assert completed.splitlines()[1:3] == [
        "- ✅ Step 1: Analyze and document all MLflow utility re-export layers "
        "(2026-02-03, on top of 0123456789)",
        "",
    ]  # the "None yet" placeholder is gone
    pending = block[block.index("### Pending Steps") :]
    assert "Step 1:" not in pending
    assert "- ⏳ Step 2: Consolidate MLflow utility re-exports\n" in pending
    assert step_states(after) == {1: True, 2: False, 3: False, 4: False, 5: False}


def test_steps_done_out_of_order_are_listed_in_step_order_and_none_is_left_pending() -> None:
    text = _document()
    for step in (3, 1, 5, 2, 4):
        text = mark_done(text, step, DAY, None)
    block = text[text.index("### Completed Steps") : text.index("## Preconditions")]
    numbers = [line.split(":")[0] for line in block.splitlines() if line.startswith("- ✅")]
    assert numbers == [f"- ✅ Step {n}" for n in range(1, 6)]
    assert block.split("### Pending Steps")[1].strip() == "- None"
    assert _outside_status(text) == _outside_status(_document())


def test_marking_a_completed_step_again_changes_nothing() -> None:
    once = mark_done(_document(), 2, DAY, "abc")
    assert mark_done(once, 2, date(2027, 1, 1), "def") == once


def test_windows_line_endings_stay_windows_line_endings() -> None:
    crlf = _document().replace("\n", "\r\n")
    after = mark_done(crlf, 4, DAY, "abc")
    assert "\n" not in after.replace("\r\n", "")
    assert _outside_status(after) == _outside_status(crlf)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace("## Status", "## State"), "no \"## Status\" section"),
        (lambda t: t.replace("### Pending Steps", "### Later"), '"### Pending Steps"'),
        (lambda t: t.replace("**Last Updated**", "Updated"), "Last Updated"),
        (lambda t: t.replace("- ⏳ Step 4:", "- Step 4 (later):"), "does not list step 4"),
    ],
)
def test_a_document_without_a_status_block_in_this_format_is_refused(
    edit: Callable[[str], str], message: str
) -> None:
    with pytest.raises(PlanDocError, match=message):
        mark_done(edit(_document()), 4, DAY, None)
