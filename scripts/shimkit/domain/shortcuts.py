"""One switch for every speed shortcut of the analysis and the rewrite.

The analysis and the rewrite skip work that cannot change their result: files that cannot name a
module (a text pre-check), nodes whose lines show no module (a prune of the reference walk), all
but the top-level statements that can take part (the statement reduction the engines and the
post-rewrite check read), imports only repointed (compared by what the modules give instead of
by every use). Each is a claim "same result, less work". With the shortcuts off
(``SHIMKIT_NO_SHORTCUTS=1``, or :func:`switched_off`), every one of them takes its slow
reference path instead, so the differential guard can hold the two to the same references,
bindings and rewritten text. The switch is an environment variable so that the rewrite's worker
processes see it too.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

VARIABLE = "SHIMKIT_NO_SHORTCUTS"


def enabled() -> bool:
    """Whether the speed shortcuts are on (the default)."""
    return os.environ.get(VARIABLE, "") in ("", "0")


@contextmanager
def switched_off() -> Iterator[None]:
    """Every shortcut takes its slow reference path inside the block (and in the processes
    started in it)."""
    before = os.environ.get(VARIABLE)
    os.environ[VARIABLE] = "1"
    try:
        yield
    finally:
        if before is None:
            del os.environ[VARIABLE]
        else:
            os.environ[VARIABLE] = before


__all__ = ["VARIABLE", "enabled", "switched_off"]
