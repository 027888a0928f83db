"""The kit's contact with the operating system: git, child processes, atomic file writes,
temporary folders and signals. Knows nothing of shims or plans."""

from shimkit.system.files import WriteError, write_atomic
from shimkit.system.git import git_dir, is_repo, run_git
from shimkit.system.processes import child_env, run_child, tail
from shimkit.system.scratch import remove_orphaned_scratch, scratch_dir
from shimkit.system.signals import Interrupted, deferred, interruptible

__all__ = [
    "Interrupted",
    "WriteError",
    "child_env",
    "deferred",
    "git_dir",
    "interruptible",
    "is_repo",
    "remove_orphaned_scratch",
    "run_child",
    "run_git",
    "scratch_dir",
    "tail",
    "write_atomic",
]
