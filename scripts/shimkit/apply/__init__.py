"""The only code that writes to the user's tree: all-or-nothing writes and their recovery, git
checks, CHANGELOG, contracts."""

from shimkit.apply.atomic import apply_changes
from shimkit.apply.changelog import ChangelogEntry, MovedName, add_entry
from shimkit.apply.errors import ApplyError, RefusedError
from shimkit.apply.git import GitState, head_commit, repo_status, require_clean
from shimkit.apply.journal import RecoveryOutcome, recover

__all__ = [
    "ApplyError",
    "ChangelogEntry",
    "GitState",
    "MovedName",
    "RecoveryOutcome",
    "RefusedError",
    "add_entry",
    "apply_changes",
    "head_commit",
    "recover",
    "repo_status",
    "require_clean",
]
