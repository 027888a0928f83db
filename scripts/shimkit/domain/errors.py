"""The errors the command line turns into one line and exit status 2: ``KitError`` (bad input, a
refusal) and ``InternalError`` (a fault of the kit, with where it happened)."""

from __future__ import annotations

import traceback
from collections.abc import Iterator
from contextlib import contextmanager


class KitError(Exception):
    """Bad input, or an operation the kit refuses; the message is one line a user can act on."""


class InternalError(Exception):
    """A fault of the kit itself, not of the input: where it happened (the phase, the file and
    the notebook cell) and the full trace as text, so that it crosses a worker process whole."""

    def __init__(
        self, phase: str, path: str | None, cell: int | None, summary: str, trace: str
    ) -> None:
        super().__init__(phase, path, cell, summary, trace)
        self.phase = phase
        self.path = path
        self.cell = cell
        self.summary = summary
        self.trace = trace

    @classmethod
    def of(
        cls, error: BaseException, phase: str, path: str | None = None, cell: int | None = None
    ) -> InternalError:
        trace = "".join(traceback.format_exception(error))
        lines = str(error).strip().splitlines()
        summary = type(error).__name__ + (f": {lines[0]}" if lines else "")
        return cls(phase, path, cell, summary, trace)

    def where(self) -> str:
        """``rewriting notebooks/a.ipynb (cell 3)``."""
        place = f" {self.path}" if self.path else ""
        if self.cell is not None:
            place += f" (cell {self.cell})"
        return self.phase + place


@contextmanager
def doing(
    phase: str,
    path: str | None = None,
    cell: int | None = None,
    expected: tuple[type[Exception], ...] = (),
) -> Iterator[None]:
    """Mark what the block does: an unexpected exception in it becomes an :class:`InternalError`
    naming ``phase``, ``path`` and ``cell``. The kit's own errors, the ``expected`` ones its
    caller handles, and an InternalError already raised by a block nested deeper (which knows
    more) pass through unchanged."""
    passed_on = (KitError, InternalError, *expected)
    try:
        yield
    except Exception as error:
        if isinstance(error, passed_on):
            raise
        raise InternalError.of(error, phase, path, cell) from error
