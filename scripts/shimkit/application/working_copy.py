"""A throw-away copy of the tree, where a run carries out and verifies its change before any
byte of the user's tree is written."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from shimkit.application.workspace import Workspace
from shimkit.apply.git import snapshot
from shimkit.apply.tree_diff import IGNORED_DIRS

# the user's history stays where it is: the copy gets a one-commit repository of its own, the
# baseline its verification compares with
_NOT_COPIED = shutil.ignore_patterns(*IGNORED_DIRS)


@contextmanager
def working_copy(workspace: Workspace) -> Iterator[Workspace]:
    """A copy of ``workspace``'s tree (caches, virtualenvs and ``.git`` left out), committed in a
    repository of its own; removed on leaving."""
    with tempfile.TemporaryDirectory(prefix="shimkit-working-copy-") as temp:
        copy = Path(temp) / workspace.root.name
        shutil.copytree(workspace.root, copy, symlinks=True, ignore=_NOT_COPIED)
        snapshot(copy, "shimkit: the tree before this run")
        yield Workspace(copy, workspace.src, workspace.plan, origin=workspace.repository)
