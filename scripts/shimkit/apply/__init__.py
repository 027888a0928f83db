"""The only code that writes to the user's tree: atomic writes, git checks, CHANGELOG, contracts."""

from shimkit.apply.atomic import apply_changes
from shimkit.apply.changelog import ChangelogEntry, MovedName, add_entry
from shimkit.apply.errors import ApplyError, RefusedError
from shimkit.apply.git import GitState, git_dir, repo_status, require_clean

__all__ = [
    "ApplyError",
    "ChangelogEntry",
    "GitState",
    "MovedName",
    "RefusedError",
    "add_entry",
    "apply_changes",
    "git_dir",
    "repo_status",
    "require_clean",
]
