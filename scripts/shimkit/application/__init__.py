"""What the use cases share: where a run works and its one static look at the tree, the run's
session, options and the ports to the outside world, the plan document and step commits."""

from shimkit.application.options import ImportOptions, RunOptions
from shimkit.application.run import Run
from shimkit.application.session import recover_interrupted, run_session
from shimkit.application.workspace import Workspace

__all__ = [
    "ImportOptions",
    "Run",
    "RunOptions",
    "Workspace",
    "recover_interrupted",
    "run_session",
]
