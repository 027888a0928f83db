"""What makes a plan's ``layers`` a contract that checks something (pure: names in, reason out)."""

from __future__ import annotations

import difflib
from collections.abc import Collection, Sequence

__all__ = ["layers_problem"]


def layers_problem(layers: Sequence[str], packages: Collection[str]) -> str | None:
    """Why ``layers`` (top-level packages, highest first) cannot make a layers contract of the
    tree whose top-level packages are ``packages``; None when they can (or name none at all).

    A layers contract over fewer than two packages the tree has forbids nothing, so import-linter
    would pass it whatever the code does. A layer the tree lacks is allowed (written optional,
    for a package still to come), unless it reads as a typo of one the tree has."""
    if not layers:
        return None
    for layer in layers:
        close = difflib.get_close_matches(layer, [p for p in packages if p not in layers], 1, 0.8)
        if layer not in packages and close:
            return f"the plan's layer {layer!r} is not a package of this tree: {close[0]!r}?"
    present = [layer for layer in layers if layer in packages]
    if len(present) < 2:
        have = ", ".join(present) or "none"
        return (
            f"the plan's layers name {len(present)} package(s) this tree has ({have}): a layers "
            "contract needs two or more, or none (layers=())"
        )
    return None
