"""A test run a person waits on says how far it is: a line every few seconds (none for a run
shorter than that), with the tests done out of those collected where pytest tells."""

from __future__ import annotations

from shimkit.application.ports import Reporter
from shimkit.verify.tests_runner import TestProgress

EVERY = 5.0  # seconds between two lines


def tests_heartbeat(reporter: Reporter, label: str) -> TestProgress:
    shown = [0.0]

    def beat(elapsed: float, done: int, total: int | None) -> None:
        if elapsed - shown[0] < EVERY:
            return
        shown[0] = elapsed
        count = f"{done} of {total} tests done" if total else f"{done} tests done"
        minutes, seconds = divmod(int(elapsed), 60)
        reporter.info(f"{label}: {count} ({minutes}:{seconds:02d} elapsed)")

    return beat
