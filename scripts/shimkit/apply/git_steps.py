"""The plan's process in git: each step's change as a commit of its own, the kit's step commits
in the history, reverting them (never rewriting history), work in flight on other branches, and
a file as a commit had it. Every git call of the plan's process is here.

The kit's commits carry the trailer ``Shim-Step: <step>`` (``1``..``5``, or ``retire``); a commit
is taken as reverted when a later commit in HEAD's history says ``This reverts commit <sha>.``
(git's own wording in ``git revert``'s message).
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from shimkit.apply.errors import RefusedError
from shimkit.domain.model import BranchWork
from shimkit.system.git import last_error, run_git

__all__ = [
    "TRAILER",
    "StepCommit",
    "branches_in_flight",
    "commit_paths",
    "differing_files",
    "file_at",
    "later_commits_touching",
    "require_committer",
    "revert_commits",
    "short",
    "step_commits",
    "tracked",
]

TRAILER = "Shim-Step"
_FIELD, _RECORD = "\x1f", "\x1e"
_REVERTS = re.compile(r"This reverts commit ([0-9a-f]{7,64})")


@dataclass(frozen=True)
class StepCommit:
    sha: str
    step: str  # the trailer's value: "1".."5", or "retire"
    subject: str
    files: tuple[str, ...]  # the paths it touched, relative to the root

    @property
    def number(self) -> int | None:
        return int(self.step) if self.step.isdigit() else None


def short(sha: str) -> str:
    return sha[:10]


def _checked(root: Path, *args: str) -> bytes:
    result = run_git(root, *args)
    if result.returncode != 0:
        raise RefusedError(f"git {args[0]} failed: {last_error(result)}")
    return result.stdout


def _names(data: bytes) -> tuple[str, ...]:
    return tuple(os.fsdecode(name) for name in data.split(b"\0") if name)


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
    return frozenset(_names(_checked(root, "ls-files", "-z", "--", *paths)))


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


def _files_of(root: Path, sha: str) -> tuple[str, ...]:
    return _names(
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


def revert_commits(root: Path, shas: Sequence[str]) -> None:
    """``git revert`` each of ``shas`` in the order given, one new commit each. On a conflict the
    whole sequence is aborted (history and tree as they were) and the run refused."""
    result = run_git(root, "revert", "--no-edit", *shas)
    if result.returncode == 0:
        return
    conflicts = _names(run_git(root, "diff", "-z", "--name-only", "--diff-filter=U").stdout)
    errors = [
        line
        for line in result.stderr.decode(errors="replace").splitlines()
        if line.startswith(("error:", "fatal:"))
    ]
    run_git(root, "revert", "--abort")
    reason = errors[0] if errors else last_error(result)
    where = f" (conflicts in {', '.join(conflicts)})" if conflicts else ""
    raise RefusedError(f"{reason}{where}; the revert was aborted: history and tree are as before")


def differing_files(root: Path, commit: str, paths: Collection[str]) -> tuple[str, ...]:
    """Which of ``paths`` differ between ``commit`` and the work tree (content, or existence)."""
    if not paths:
        return ()
    return _names(
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
