"""Where the time of a run went: seconds per phase, for the table the end of every run prints.

A block of work names its phase with ``timed(PHASE)``, as a ``with`` block or a decorator, in the
lowest layer that does the work (the import checks, the pytest run, the write). Time goes to the
innermost phase running: an import check inside step 1's baseline counts as an import check, not
as baseline, so the phases never add up to more than the run. Only a run that opened a
``PhaseClock`` with ``clocked()`` records anything; anywhere else (a library call, a worker
process, a thread of the import checks, which starts with an empty context) ``timed`` costs one
lookup.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

ANALYSIS = "analysis"
REWRITE = "rewrite"
WORKING_COPY = "working copy"
BASELINE = "baseline"
IMPORT_CHECKS = "import checks"
CONTRACTS = "contracts"
TESTS = "tests"
OTHER_CHECKS = "other checks"
WRITE = "write"
STARTUP = "start-up (Python, the kit)"


def _unmeasured() -> float:
    return 0.0


class PhaseClock:
    """Per phase, the seconds it ran and how far the run's peak memory rose while it ran, each
    phase charged only while no phase nested in it was running.

    Peak memory is a high-water mark (``memory``, e.g. ``system.processes.peak_memory_mb``;
    none by default): what a phase is charged is how much
    higher it took the peak, so the rises of all phases and the memory before the first add up
    to the run's peak. A phase that used less than an earlier one is charged nothing."""

    def __init__(
        self,
        clock: Callable[[], float] = time.perf_counter,
        memory: Callable[[], float] = _unmeasured,
        startup: float = 0.0,
    ) -> None:
        self._clock = clock
        self._memory = memory
        now = clock()
        self._started = now - startup
        self._seconds: dict[str, float] = {STARTUP: startup} if startup > 0 else {}
        self._rise_mb: dict[str, float] = {STARTUP: memory()} if startup > 0 else {}
        # the phases entered, innermost last, each with when and at what peak it last resumed
        self._running: list[tuple[str, float, float]] = []

    def enter(self, phase: str) -> None:
        now, peak = self._charge()
        self._seconds.setdefault(phase, 0.0)
        self._rise_mb.setdefault(phase, 0.0)
        self._running.append((phase, now, peak))

    def leave(self) -> None:
        now, peak = self._charge()
        self._running.pop()
        if self._running:
            self._running[-1] = (self._running[-1][0], now, peak)

    def seconds(self) -> dict[str, float]:
        """Seconds per phase so far, in the order the phases first ran (a running phase
        included up to now)."""
        seconds = dict(self._seconds)
        if self._running:
            phase, since, _ = self._running[-1]
            seconds[phase] += self._clock() - since
        return seconds

    def rise_mb(self) -> dict[str, float]:
        """Per phase, how many MB the run's peak memory rose while it ran (so far)."""
        rises = dict(self._rise_mb)
        if self._running:
            phase, _, peak = self._running[-1]
            rises[phase] += max(self._memory() - peak, 0.0)
        return rises

    def total(self) -> float:
        return self._clock() - self._started

    def peak_mb(self) -> float:
        return self._memory()

    def figures(self) -> dict[str, Any]:
        """The clock as data for machine output: ``phases``, in the order they first ran, each
        with its ``seconds`` and ``peak_rise_mb``; and the ``total`` seconds of the run so far and
        its ``peak_mb``."""
        rises = self.rise_mb()
        phases = [
            {"phase": phase, "seconds": round(spent, 3), "peak_rise_mb": round(rises[phase], 1)}
            for phase, spent in self.seconds().items()
        ]
        total = {"seconds": round(self.total(), 3), "peak_mb": round(self.peak_mb(), 1)}
        return {"phases": phases, "total": total}

    def _charge(self) -> tuple[float, float]:
        now, peak = self._clock(), self._memory()
        if self._running:
            phase, since, peak_then = self._running[-1]
            self._seconds[phase] += now - since
            self._rise_mb[phase] += max(peak - peak_then, 0.0)
        return now, peak


_clock: ContextVar[PhaseClock | None] = ContextVar("shimkit_phase_clock", default=None)


@contextmanager
def clocked(
    startup: float = 0.0,
    clock: Callable[[], float] = time.perf_counter,
    memory: Callable[[], float] = _unmeasured,
) -> Iterator[PhaseClock]:
    """A clock for the run inside the block: every ``timed`` phase in it is recorded there;
    ``startup``: seconds the process ran before (Python and the kit loading)."""
    phases = PhaseClock(clock, memory, startup)
    token = _clock.set(phases)
    try:
        yield phases
    finally:
        _clock.reset(token)


def running_clock() -> PhaseClock | None:
    """The clock of the run this code is part of, if one is recording."""
    return _clock.get()


@contextmanager
def timed(phase: str) -> Iterator[None]:
    """Charge the block (or the decorated function) to ``phase`` of the running clock."""
    phases = _clock.get()
    if phases is None:
        yield
        return
    phases.enter(phase)
    try:
        yield
    finally:
        phases.leave()
