"""Rewriting many files at once: across processes, with the post-rewrite check's inputs."""

from __future__ import annotations

from pathlib import Path

from rewrite_moves import DEPRECATED, MOVES, SETUP
from shimkit.analysis import make_resolver, resolve_uses, scan
from shimkit.domain.model import Moves
from shimkit.rewrite import (
    FileTask,
    compare_uses,
    repointing_problems,
    rewrite_source,
    start_rewrites,
)
from shimkit.rewrite.batch import rewrite_file


def task(index: int) -> FileTask:
    if index % 3:
        text = f"def unrelated_{index}():\n    return {index}\n"
    else:
        text = (
            f"from {DEPRECATED} import setup_mlflow_for_stage\n\n"
            f"def job_{index}():\n    return setup_mlflow_for_stage('{DEPRECATED}')\n"
        )
    return FileTask(f"src/jobs/job_{index}.py", text, f"jobs.job_{index}", False)


def test_a_pool_gives_what_one_process_gives() -> None:
    tasks = [task(index) for index in range(30)]  # enough files for a pool
    pooled = {result.path: result for result in start_rewrites(tasks, MOVES, jobs=2)}
    assert sorted(pooled) == sorted(t.path for t in tasks)
    for each in tasks:
        alone = rewrite_file(each, MOVES)
        assert pooled[each.path] == alone
        expected = rewrite_source(each.text, each.path, MOVES, each.module, False).text
        assert alone.text == expected
    changed = [r for r in pooled.values() if r.changed]
    assert len(changed) == 10
    assert all(f"from {SETUP} import setup_mlflow_for_stage" in r.text for r in changed)


def test_a_file_that_cannot_be_rewritten_comes_back_as_an_error() -> None:
    broken = FileTask("src/broken.py", f"from {DEPRECATED} import (\n", "broken", False)
    (result,) = start_rewrites([broken], MOVES)
    assert not result.changed
    assert "src/broken.py" in result.error


def write_tree(root: Path, files: dict[str, str]) -> None:
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)


def test_a_repointed_import_must_reach_the_same_definition(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "src/pkg/__init__.py": "",
            "src/pkg/core.py": "def f():\n    return 1\n",
            "src/pkg/old.py": "from pkg.core import f\n",
            "src/pkg/other.py": "def f():\n    return 2\n",
        },
    )
    resolver = make_resolver(scan(tmp_path))
    user = FileTask(
        "src/pkg/user.py",
        "from pkg.old import f\n\n\n" + "".join(f"x{i} = f()\n" for i in range(40)),
        "pkg.user",
        False,
    )
    right = rewrite_file(user, Moves(names={("pkg.old", "f"): "pkg.core"}))
    assert right.text.startswith("from pkg.core import f\n")
    assert [r.local for r in right.repointed] == ["f"]
    assert repointing_problems(right.repointed, resolver) == []
    assert right.uses_before is not None and right.uses_after is not None
    before, after = (resolve_uses(u, resolver) for u in (right.uses_before, right.uses_after))
    assert compare_uses(before, after) == []
    wrong = rewrite_file(user, Moves(names={("pkg.old", "f"): "pkg.other"}))
    assert wrong.text.startswith("from pkg.other import f\n")
    problems = repointing_problems(wrong.repointed, resolver)
    assert len(problems) == 1 and "pkg.core" in problems[0] and "pkg.other" in problems[0]
