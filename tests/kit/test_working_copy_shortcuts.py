"""The working copy's shortcuts give exactly what the plain path gives: a snapshot that borrows
the user's git objects commits the same tree as one that writes its own, and a write to the copy
without flushes to disk leaves the same bytes as a durable one."""

from __future__ import annotations

import os
from pathlib import Path

from kit_helpers import LAYER_TREE, commit_all, files_under, git, write_tree
from shimkit.application.working_copy import working_copy
from shimkit.application.workspace import Workspace
from shimkit.apply import apply_changes
from shimkit.domain.model import ChangeSet, FileChange
from shimkit.domain.plan import Plan
from shimkit.system.git import snapshot

_CHANGE = ChangeSet(
    (
        FileChange("src/app/user.py", LAYER_TREE["src/app/user.py"], "from app.core import make\n"),
        FileChange("src/app/old.py", LAYER_TREE["src/app/old.py"], None),
        FileChange("src/app/extra/new.py", None, "NEW = 1\n"),
    )
)


def _user_tree(root: Path) -> Path:
    write_tree(root, {**LAYER_TREE, ".gitignore": "*.log\n"})
    commit_all(root, "before")
    # work the user has not committed: a modified file, an untracked one, an ignored one
    write_tree(root, {"src/app/core.py": "def make() -> int:\n    return 2\n"})
    write_tree(root, {"src/app/draft.py": "DRAFT = 1\n", "debug.log": "ignored\n"})
    return root


def _objects(root: Path) -> set[str]:
    store = root / ".git" / "objects"
    return {
        f"{folder.name}{name.name}"
        for folder in store.iterdir()
        if len(folder.name) == 2
        for name in folder.iterdir()
    }


def test_a_snapshot_borrowing_the_users_objects_commits_the_same_tree(tmp_path: Path) -> None:
    user = _user_tree(tmp_path / "user")
    plain, borrowing = tmp_path / "plain", tmp_path / "borrowing"
    for copy in (plain, borrowing):
        write_tree(copy, {p: (user / p).read_text() for p in files_under(user)})
    snapshot(plain, "plain")
    snapshot(borrowing, "borrowing", borrow=user)
    tree_of = "HEAD^{tree}"
    assert git(borrowing, "rev-parse", tree_of) == git(plain, "rev-parse", tree_of)
    # only what the user's repository lacks is written: the modified and the untracked file
    # (and the trees and commit that hold them), not one object per file
    own = _objects(borrowing)
    assert git(borrowing, "hash-object", "src/app/draft.py").strip() in own
    assert git(borrowing, "hash-object", "src/app/user.py").strip() not in own
    assert len(own) < len(_objects(plain))
    assert git(borrowing, "status", "--porcelain") == ""


def test_the_working_copy_holds_the_users_tree_and_a_commit_of_it(tmp_path: Path) -> None:
    user = _user_tree(tmp_path / "user")
    workspace = Workspace(user, "src", Plan(title="t"))
    with working_copy(workspace) as copy:
        assert files_under(copy.root) == files_under(user)
        assert git(copy.root, "status", "--porcelain", "--ignored") == "!! debug.log\n"
        assert git(copy.root, "fsck", "--connectivity-only", "--no-dangling") == ""
        apply_changes(copy.root, _CHANGE, durable=False)
        written = files_under(copy.root)
    durable = tmp_path / "durable"
    write_tree(durable, {p: (user / p).read_text() for p in files_under(user)})
    apply_changes(durable, _CHANGE)
    assert written == files_under(durable)
    assert os.listdir(user / ".git") and files_under(user)["src/app/old.py"]  # user's untouched
