"""A throw-away copy of the tree, where a run carries out and verifies its change before any
byte of the user's tree is written."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TypeVar

from shimkit.application.run_context import ports
from shimkit.application.workspace import Workspace
from shimkit.domain.folders import STATE_DIRS, TOOL_DIRS
from shimkit.domain.phases import WORKING_COPY, timed

# the user's history stays where it is: the copy gets a one-commit repository of its own, the
# baseline its verification compares with
_NOT_COPIED = (*TOOL_DIRS, *STATE_DIRS)
_SNAPSHOT_MESSAGE = "shimkit: the tree before this run"
T = TypeVar("T")


@contextmanager
def working_copy(workspace: Workspace) -> Iterator[Workspace]:
    """A copy of ``workspace``'s tree (tool folders and ``.git`` left out), committed in a
    repository of its own, in a temporary folder this process owns: removed on leaving, and by
    the next run if this one is killed."""
    files, git = ports().files, ports().git
    with ExitStack() as held:
        with timed(WORKING_COPY):
            copy = held.enter_context(
                files.scratch_copy("working-copy", workspace.root, left_out=_NOT_COPIED)
            )
            git.snapshot(copy, _SNAPSHOT_MESSAGE, workspace.repository)
        try:
            yield Workspace(copy, workspace.src, workspace.plan, origin=workspace.repository)
        finally:
            with timed(WORKING_COPY):  # handing the copy to its removal
                held.close()


@contextmanager
def working_copy_ahead(
    workspace: Workspace, also: Callable[[], T]
) -> Iterator[Callable[[], tuple[Workspace, T]]]:
    """``working_copy``, and then ``also()`` (a question about the tree as it is now), begun now
    by a process of their own while this one goes on (a run's analysis leaves a core idle): the
    block gets a function that waits for both and returns the copy and what ``also`` returned.
    The copy is of the tree as it is now, before the run writes anything; it is removed on
    leaving the block."""
    files, git = ports().files, ports().git
    repository = workspace.repository

    def snapshot_then_also(copy: Path) -> T:
        git.snapshot(copy, _SNAPSHOT_MESSAGE, repository)
        return also()

    with ExitStack() as held:
        made = held.enter_context(
            files.scratch_copy_ahead(
                "working-copy", workspace.root, _NOT_COPIED, snapshot_then_also
            )
        )

        def ready() -> tuple[Workspace, T]:
            with timed(WORKING_COPY):  # what is left of it to wait for
                copy, answer = made()
            return Workspace(copy, workspace.src, workspace.plan, origin=repository), answer

        try:
            yield ready
        finally:
            with timed(WORKING_COPY):  # handing the copy to its removal
                held.close()
