"""The one error the rewriters raise."""

from __future__ import annotations


class RewriteError(Exception):
    """A file that cannot be rewritten: unparsable, or a use the conventions cannot express."""

    def __init__(self, path: str, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line
        self.message = message
