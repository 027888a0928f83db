"""Errors raised by the apply layer. Messages are one line, fit for ``error: <message>``."""

from __future__ import annotations

from shimkit.domain.errors import KitError


class ApplyError(KitError):
    """A write could not be carried out; the tree was left as it was (or restored, best effort)."""


class RefusedError(KitError):
    """The kit will not write to this tree as it stands (e.g. uncommitted changes)."""
