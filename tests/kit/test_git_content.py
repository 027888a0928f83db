"""A tree's content as git names it: the same map for a work tree and for the commit of the same
files, wherever either lives; any changed byte, deletion or new file changes it, ignored files
do not."""

from __future__ import annotations

from pathlib import Path

from kit_helpers import commit_all, git, write_tree
from shimkit.system.git_content import content_ids


def test_a_work_tree_and_the_commit_of_the_same_files_have_the_same_content(
    tmp_path: Path,
) -> None:
    root = write_tree(
        tmp_path / "tree",
        {".gitignore": "build/\n", "src/a.py": "A = 1\n", "src/b.py": "B = 1\n", "README": "x\n"},
    )
    commit_all(root)
    first = content_ids(root, "HEAD")
    assert first is not None and content_ids(root) == first
    assert sorted(first) == [".gitignore", "README", "src/a.py", "src/b.py"]

    write_tree(root, {"src/a.py": "A = 2\n", "src/new.py": "", "build/out.py": "ignored\n"})
    (root / "src/b.py").unlink()
    now = content_ids(root)
    assert now is not None
    assert sorted(now) == [".gitignore", "README", "src/a.py", "src/new.py"]
    assert now["src/a.py"] != first["src/a.py"]
    commit_all(root, "changed")
    assert content_ids(root, "HEAD") == now
    assert content_ids(root, git(root, "rev-parse", "HEAD~1").strip()) == first


def test_outside_git_the_content_cannot_be_told(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "plain", {"a.py": ""})
    assert content_ids(root) is None
