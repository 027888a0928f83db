"""A throw-away copy of the tree, where a run carries out and verifies its change before any
byte of the user's tree is written."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from shimkit.application.run_context import ports
from shimkit.application.workspace import Workspace
from shimkit.domain.folders import STATE_DIRS, TOOL_DIRS
from shimkit.domain.phases import WORKING_COPY, timed

# the user's history stays where it is: the copy gets a one-commit repository of its own, the
# baseline its verification compares with
_NOT_COPIED = (*TOOL_DIRS, *STATE_DIRS)


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
            git.snapshot(copy, "shimkit: the tree before this run", workspace.repository)
        try:
            yield Workspace(copy, workspace.src, workspace.plan, origin=workspace.repository)
        finally:
            with timed(WORKING_COPY):  # handing the copy to its removal
                held.close()
