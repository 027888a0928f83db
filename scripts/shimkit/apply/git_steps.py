"""The plan's process in git, as far as it writes: each step's change as a commit of its own
(with the trailer ``Shim-Step: <step>``), and reverting step commits (never rewriting history).
What the history says (the step commits, work in flight on other branches, a file as a commit
had it) is read by ``system.git_history`` behind the application's ``Git`` port.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path

from shimkit.apply.errors import RefusedError
from shimkit.system.git import last_error, nul_separated, run_git

__all__ = [
    "commit_paths",
    "require_committer",
    "revert_commits",
    "short",
    "tracked",
]


def short(sha: str) -> str:
    return sha[:10]


def _checked(root: Path, *args: str) -> bytes:
    result = run_git(root, *args)
    if result.returncode != 0:
        raise RefusedError(f"git {args[0]} failed: {last_error(result)}")
    return result.stdout


def require_committer(root: Path) -> None:
    """Refuse before anything is written when git could not make a commit here."""
    if run_git(root, "rev-parse", "--verify", "--quiet", "HEAD").returncode != 0:
        raise RefusedError(f"{root} is not a git repository with a commit: --commit needs one")
    for identity in ("GIT_AUTHOR_IDENT", "GIT_COMMITTER_IDENT"):
        result = run_git(root, "var", identity)
        if result.returncode != 0:
            raise RefusedError(
                f"git cannot commit here: {last_error(result)} (set user.name and user.email)"
            )


def tracked(root: Path, paths: Collection[str]) -> frozenset[str]:
    """Which of ``paths`` (root-relative) git tracks."""
    if not paths:
        return frozenset()
    return frozenset(nul_separated(_checked(root, "ls-files", "-z", "--", *paths)))


def commit_paths(root: Path, paths: Collection[str], message: str) -> str:
    """Commit exactly ``paths`` (root-relative; written, created or deleted) as they are in the
    work tree, whatever else is staged; return the new commit."""
    known = tracked(root, paths)
    present = sorted(p for p in paths if p in known or (root / p).exists())
    _checked(root, "add", "-A", "--", *present)
    result = run_git(root, "commit", "-q", "--only", "-m", message, "--", *present)
    if result.returncode != 0:
        raise RefusedError(f"git commit failed: {last_error(result)}")
    return _checked(root, "rev-parse", "HEAD").decode().strip()


def revert_commits(root: Path, shas: Sequence[str]) -> None:
    """``git revert`` each of ``shas`` in the order given, one new commit each. On a conflict the
    whole sequence is aborted (history and tree as they were) and the run refused."""
    result = run_git(root, "revert", "--no-edit", *shas)
    if result.returncode == 0:
        return
    conflicts = nul_separated(run_git(root, "diff", "-z", "--name-only", "--diff-filter=U").stdout)
    errors = [
        line
        for line in result.stderr.decode(errors="replace").splitlines()
        if line.startswith(("error:", "fatal:"))
    ]
    run_git(root, "revert", "--abort")
    reason = errors[0] if errors else last_error(result)
    where = f" (conflicts in {', '.join(conflicts)})" if conflicts else ""
    raise RefusedError(f"{reason}{where}; the revert was aborted: history and tree are as before")
