"""One run of a use case: the tree it works on, whom it reports to, how it was asked to behave
and the outside world it reaches. Made once, by the command line (or a test), and handed to the
use case instead of a workspace, a reporter and flags one by one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

from shimkit.analysis.parse_memo import parsing_once
from shimkit.analysis.tree_analysis import Analysis
from shimkit.application.options import ImportOptions, RunOptions
from shimkit.application.ports import Ports, Reporter
from shimkit.application.run_context import ports, using_ports
from shimkit.application.workspace import Workspace, analyse


@dataclass(frozen=True)
class Run:
    workspace: Workspace
    reporter: Reporter
    options: RunOptions = field(default_factory=RunOptions)
    imports: ImportOptions | None = None
    ports: Ports = field(default_factory=ports)

    def on(self, workspace: Workspace) -> Run:
        """The same run on another tree (a working copy) or plan."""
        return replace(self, workspace=workspace)

    def analysis(self) -> Analysis:
        """The tree as it is now; within ``active``, a file read unchanged is not parsed again."""
        return analyse(self.workspace)

    @contextmanager
    def active(self) -> Iterator[Run]:
        """Within: the run's ports are the ones reached, and each file is parsed once."""
        with using_ports(self.ports), parsing_once():
            yield self
