"""What git's history says about the plan's process: the kit's step commits in HEAD's history
(not those a later commit reverts), the commits after one that touch its files, files that differ
from a commit, a file as a commit had it, and work in flight on other branches. Read only.

The kit's commits carry the trailer ``Shim-Step: <step>`` (``1``..``5``, or ``retire``); a commit
is taken as reverted when a later commit in HEAD's history says ``This reverts commit <sha>.``
(git's own wording in ``git revert``'s message).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from pathlib import Path

from shimkit.domain.model import BranchWork
from shimkit.domain.step_commit import TRAILER, StepCommit
from shimkit.system.git import GitError, last_error, nul_separated, run_git

_FIELD, _RECORD = "\x1f", "\x1e"
_REVERTS = re.compile(r"This reverts commit ([0-9a-f]{7,64})")


def _checked(root: Path, *args: str) -> bytes:
    result = run_git(root, *args)
    if result.returncode != 0:
        raise GitError(f"git {args[0]} failed: {last_error(result)}")
    return result.stdout


def _files_of(root: Path, sha: str) -> tuple[str, ...]:
    return nul_separated(
        _checked(root, "show", "-z", "--format=", "--name-only", "--no-renames", "--relative", sha)
    )


def step_commits(root: Path) -> tuple[StepCommit, ...]:
    """The kit's step commits in HEAD's history that no later commit reverts, newest first."""
    log = _checked(
        root,
        "log",
        f"--grep=^{TRAILER}: ",
        "--grep=This reverts commit",
        f"--format=%H{_FIELD}%(trailers:key={TRAILER},valueonly,separator=%x2c){_FIELD}"
        f"%s{_FIELD}%b{_RECORD}",
        "HEAD",
    ).decode("utf-8", errors="replace")
    reverted: set[str] = set()
    found: list[StepCommit] = []
    for record in log.split(_RECORD):
        fields = record.strip("\n").split(_FIELD)
        if len(fields) != 4:
            continue
        sha, step, subject, body = fields
        if any(sha.startswith(named) for named in reverted):
            continue
        reverted.update(_REVERTS.findall(body))
        step = step.strip().split(",")[0].strip()
        if step:
            found.append(StepCommit(sha, step, subject, _files_of(root, sha)))
    return tuple(found)


def later_commits_touching(
    root: Path, commit: StepCommit, excluded: Collection[str]
) -> list[tuple[str, str, tuple[str, ...]]]:
    """``(sha, subject, files)`` of the commits after ``commit`` in HEAD's history (other than
    ``excluded``) that touch a file ``commit`` touched."""
    if not commit.files:
        return []
    log = _checked(
        root,
        "log",
        f"--format={_RECORD}%H{_FIELD}%s",
        "--name-only",
        "--no-renames",
        "--relative",
        f"{commit.sha}..HEAD",
        "--",
        *commit.files,
    ).decode("utf-8", errors="replace")
    later: list[tuple[str, str, tuple[str, ...]]] = []
    for record in log.split(_RECORD):
        if not record.strip():
            continue
        head, _, names = record.partition("\n")
        sha, _, subject = head.partition(_FIELD)
        if sha in excluded:
            continue
        files = tuple(n for n in names.splitlines() if n.strip() and n in commit.files)
        later.append((sha, subject, files))
    return later


def differing_files(root: Path, commit: str, paths: Collection[str]) -> tuple[str, ...]:
    """Which of ``paths`` differ between ``commit`` and the work tree (content, or existence)."""
    if not paths:
        return ()
    return nul_separated(
        _checked(
            root, "diff", "-z", "--name-only", "--no-renames", "--relative", commit, "--", *paths
        )
    )


def file_at(root: Path, commit: str, path: str) -> bytes | None:
    """``path`` (root-relative) as ``commit`` had it; None when it had no such file."""
    result = run_git(root, "show", f"{commit}:./{path}")
    return result.stdout if result.returncode == 0 else None


def branches_in_flight(root: Path, paths: Collection[str]) -> tuple[BranchWork, ...]:
    """Every local and remote-tracking branch with commits not in HEAD that touch ``paths``:
    from git alone, offline."""
    if not paths or run_git(root, "rev-parse", "--verify", "--quiet", "HEAD").returncode != 0:
        return ()
    refs = _checked(
        root,
        "for-each-ref",
        f"--format=%(refname){_FIELD}%(refname:short){_FIELD}%(symref)",
        "refs/heads",
        "refs/remotes",
    ).decode("utf-8", errors="replace")
    wanted = set(paths)
    found: list[BranchWork] = []
    for line in refs.splitlines():
        ref, branch, symref = [*line.split(_FIELD), "", ""][:3]
        if not ref or symref:  # origin/HEAD points at a branch listed anyway
            continue
        log = _checked(
            root,
            "log",
            f"--format={_RECORD}%H",
            "--name-only",
            "--no-renames",
            "--relative",
            f"HEAD..{ref}",
            "--",
            *sorted(wanted),
        ).decode("utf-8", errors="replace")
        commits = [record for record in log.split(_RECORD) if record.strip()]
        files = {
            name for record in commits for name in record.splitlines()[1:] if name in wanted
        }
        if commits:
            found.append(BranchWork(branch, len(commits), tuple(sorted(files))))
    return tuple(found)
