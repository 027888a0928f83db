"""Holding many syntax trees at once."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """Pause Python's cyclic garbage collector.

    Parsing a tree allocates a great many objects, and ``ast`` trees hold no reference cycles (they
    are freed by reference counting all the same). While the trees of a whole repository pile up,
    the collector would walk every one of them again and again: on sympy that made reading and
    parsing 1,500 files six times slower than parsing them alone.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if _HELD_APART.get():
            gc.freeze()
        if enabled:
            gc.enable()


# within ``trees_held_apart``: whether what a scan or an inventory leaves alive is frozen
_HELD_APART: ContextVar[bool] = ContextVar("shimkit_held_apart", default=False)


@contextmanager
def trees_held_apart() -> Iterator[None]:
    """Within (a run of the kit), everything alive when a scan or an inventory ends, the trees of
    the whole repository above all, is moved where the cyclic collector never walks it
    (``gc.freeze``): it is kept for the run, and freed by reference counting when let go (a
    syntax tree holds no cycle). Otherwise every full collection of the run walks it all again
    (two of them took 7 s of a run on 30,000 files). On leaving, the collector sees it all
    again. Nothing is frozen where something else froze objects before."""
    if gc.get_freeze_count():
        yield
        return
    token = _HELD_APART.set(True)
    try:
        yield
    finally:
        _HELD_APART.reset(token)
        gc.unfreeze()
