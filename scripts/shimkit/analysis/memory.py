"""Holding many syntax trees at once."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


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
        if enabled:
            gc.enable()
