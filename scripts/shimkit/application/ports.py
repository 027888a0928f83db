"""What the use cases need from the outside world, as protocols the command line implements."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Protocol

from shimkit.domain.model import ChangeSet, Inventory

# (check, passed, details); passed None: a person must decide (shown apart, fails nothing)
CheckRow = tuple[str, bool | None, str]


class Progress(Protocol):
    def advance(self, description: str = "") -> None: ...


class Reporter(Protocol):
    """Everything a run shows a person. Implementations decide how it looks."""

    def heading(self, text: str) -> None: ...

    def info(self, text: str) -> None: ...

    def warning(self, text: str) -> None: ...

    def inventory(self, inventory: Inventory) -> None: ...

    def changes(self, changes: ChangeSet) -> None: ...

    def checks(self, title: str, rows: Sequence[CheckRow]) -> None: ...

    def table(self, title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None: ...

    def progress(self, description: str, total: int) -> AbstractContextManager[Progress]: ...
