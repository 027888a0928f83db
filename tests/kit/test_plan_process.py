"""The plan's own process on the bundled legacy tree, with real git and the real scripts:
``migrate.py --write --commit`` leaves one commit per step, the plan document's status block
moving along with them; the success criteria are measured; the preconditions name a branch that
touches a shim; ``rollback.py`` reverts the step commits and restores the legacy tree byte for
byte (and refuses, naming them, when later commits touch the same files).

One migration is shared by the module (the expensive part); each rollback works on a copy.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from consolidation_plan import PLAN
from kit_helpers import REPO, build_legacy_repo, commit_all, files_under, git, run_script
from shimkit.domain.plan_status import step_states

PLAN_DOC = "docs/plans/consolidate-mlflow-utilities.plan.md"
BRANCH = "feature/tweak-deprecated-shim"
PLANTED = "src/orchestration/mlflow_utils.py"

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Migrated:
    root: Path
    legacy: dict[str, bytes]  # every file of the legacy tree, before the migration
    base: str  # the legacy commit
    result: subprocess.CompletedProcess[str]

    def step_commits(self) -> list[tuple[str, str, str]]:
        """``(sha, trailer, full message)`` of the commits after the legacy one, oldest first."""
        log = git(
            self.root,
            "log",
            "--reverse",
            "--format=%H%x1f%(trailers:key=Shim-Step,valueonly)%x1f%B%x1e",
            f"{self.base}..HEAD",
        )
        records = [r.strip("\n").split("\x1f") for r in log.split("\x1e") if r.strip()]
        return [(sha, trailer.strip(), message) for sha, trailer, message in records]


def _flat(text: str) -> str:
    """A rich table's text with its borders gone and its wrapped cells joined by spaces."""
    return " ".join(text.replace("│", " ").replace("┃", " ").split())


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Migrated]:
    root = build_legacy_repo(tmp_path_factory.mktemp("process") / "legacy")
    legacy = files_under(root)
    base = git(root, "rev-parse", "HEAD").strip()
    git(root, "checkout", "-q", "-b", BRANCH)  # work in flight on a shim, on another branch
    with (root / PLANTED).open("a", encoding="utf-8") as shim:
        shim.write("# a tweak on another branch\n")
    commit_all(root, "tweak the deprecated shim")
    git(root, "checkout", "-q", "main")
    yield Migrated(root, legacy, base, run_script("migrate.py", root, "--write", "--commit"))


def _copy(migrated: Migrated, tmp_path: Path) -> Path:
    copy = tmp_path / "copy"
    shutil.copytree(migrated.root, copy, symlinks=True)
    return copy


def test_migrate_commit_leaves_one_commit_per_step(migrated: Migrated) -> None:
    result = migrated.result
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    commits = migrated.step_commits()
    assert [trailer for _, trailer, _ in commits] == ["1", "2", "3", "4", "5"]
    messages = {trailer: message for _, trailer, message in commits}
    assert messages["2"].startswith("Shim step 2: Consolidate re-export layers\n")
    assert (
        "Removed: orchestration.jobs.tracking.mlflow_utils, "
        "orchestration.jobs.tracking.mlflow_helpers" in messages["2"]
    )
    assert "Removed: orchestration.mlflow_utils" in messages["3"]
    assert (
        "orchestration.mlflow_utils.setup_mlflow_for_stage -> "
        "infrastructure.tracking.mlflow.setup.setup_mlflow_for_stage" in messages["3"]
    )
    assert git(migrated.root, "status", "--porcelain") == ""


def test_the_commits_add_up_to_the_one_write_result(migrated: Migrated) -> None:
    assert files_under(migrated.root / "src") == files_under(REPO / "src")
    assert (migrated.root / ".importlinter").read_bytes() == (REPO / ".importlinter").read_bytes()


def test_each_step_commit_moves_its_step_to_completed_in_the_plan_document(
    migrated: Migrated,
) -> None:
    legacy_doc = migrated.legacy[PLAN_DOC].decode("utf-8")
    outside = legacy_doc.split("## Status")[0], legacy_doc.split("## Preconditions")[1]
    for done, (sha, _, _) in enumerate(migrated.step_commits(), start=1):
        doc = git(migrated.root, "show", f"{sha}:{PLAN_DOC}")
        assert step_states(doc) == {n: n <= done for n in range(1, 6)}, f"after step {done}"
        assert (doc.split("## Status")[0], doc.split("## Preconditions")[1]) == outside
        parent = git(migrated.root, "rev-parse", f"{sha}^").strip()
        line = next(x for x in doc.splitlines() if x.startswith(f"- ✅ Step {done}:"))
        assert line.endswith(f", on top of {parent[:10]})"), line
    assert "### Pending Steps\n- None\n" in (migrated.root / PLAN_DOC).read_text(encoding="utf-8")


def _lines(data: bytes | None) -> int:
    return 0 if data is None else len(data.decode("utf-8").splitlines())


def _shim_path(tree: dict[str, bytes], module: str) -> str | None:
    base = "src/" + module.replace(".", "/")
    return next((p for p in (f"{base}.py", f"{base}/__init__.py") if p in tree), None)


def test_the_success_criteria_are_measured(migrated: Migrated) -> None:
    after = files_under(migrated.root)
    removed = 0
    for module in PLAN.shims:
        before_path = _shim_path(migrated.legacy, module)
        assert before_path is not None
        removed += _lines(migrated.legacy[before_path]) - _lines(after.get(before_path))
    assert removed > 0
    table = _flat(migrated.result.stdout.split("Success criteria (overall)")[1])
    assert f"{removed} lines removed" in table
    assert "orchestration.mlflow_utils: removed" in table
    assert "3 of 3 kept layer(s) say 'compatibility layer'" in table
    assert "not configured: the project has no mypy configuration" in table
    assert "setup_mlflow_for_stage 3 -> 2" in table  # the deprecated path is gone


def test_the_preconditions_name_the_branch_that_touches_a_shim(migrated: Migrated) -> None:
    flat = _flat(migrated.result.stdout)
    assert f"{BRANCH} 1 {PLANTED}" in flat  # the work-in-flight table: branch, commits, files
    warning = "precondition not met: No work in flight on the files the plan changes"
    assert f"{warning}: 1 branch(es): {BRANCH}" in " ".join(migrated.result.stderr.split())
    assert "All existing tests pass yes" in flat


@pytest.mark.e2e
def test_rollback_restores_the_legacy_tree_byte_for_byte(
    migrated: Migrated, tmp_path: Path
) -> None:
    copy = _copy(migrated, tmp_path)
    steps = [sha for sha, _, _ in migrated.step_commits()]
    result = run_script("rollback.py", copy, full_plan=True)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "verification passed" in result.stdout
    assert "restored exactly" in result.stdout
    assert files_under(copy) == migrated.legacy
    reverts = git(copy, "log", "--reverse", "--format=%s", f"{steps[-1]}..HEAD").splitlines()
    assert reverts == [f'Revert "{s}"' for s in _subjects(copy, steps)]  # step 5's first
    for sha in steps:  # history is not rewritten: every step commit is still there
        git(copy, "merge-base", "--is-ancestor", sha, "HEAD")
    again = run_script("rollback.py", copy)
    assert again.returncode == 0 and "nothing to roll back" in again.stdout, again


def _subjects(root: Path, shas: list[str]) -> list[str]:
    """Subjects of ``shas`` in the order rollback reverts them: newest first."""
    return [git(root, "log", "-1", "--format=%s", sha).strip() for sha in reversed(shas)]


def test_rollback_to_a_step_keeps_the_steps_up_to_it(migrated: Migrated, tmp_path: Path) -> None:
    copy = _copy(migrated, tmp_path)
    steps = [sha for sha, _, _ in migrated.step_commits()]
    result = run_script("rollback.py", copy, "--to", "3")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert git(copy, "diff", "--stat", steps[2], "HEAD") == ""  # the tree as step 3 left it
    doc = (copy / PLAN_DOC).read_text(encoding="utf-8")
    assert step_states(doc) == {1: True, 2: True, 3: True, 4: False, 5: False}


def test_rollback_refuses_when_a_later_commit_touches_the_same_files(
    migrated: Migrated, tmp_path: Path
) -> None:
    copy = _copy(migrated, tmp_path)
    tracker = copy / "src/orchestration/jobs/tracking/trackers/benchmark_tracker.py"
    with tracker.open("a", encoding="utf-8") as stream:
        stream.write("\n\nLATER_WORK = True\n")
    commit_all(copy, "later work on the benchmark tracker")
    later = git(copy, "rev-parse", "HEAD").strip()
    before = files_under(copy)

    refused = run_script("rollback.py", copy)
    assert refused.returncode == 2, refused
    assert refused.stderr.startswith("error: later commits touch files of the step commits: ")
    assert later[:10] in refused.stderr and "benchmark_tracker.py" in refused.stderr
    assert git(copy, "rev-parse", "HEAD").strip() == later
    assert files_under(copy) == before

    forced = run_script("rollback.py", copy, "--force")
    assert forced.returncode == 0, forced.stdout[-4000:] + forced.stderr[-2000:]
    assert "LATER_WORK = True" in tracker.read_text(encoding="utf-8")
    restored = files_under(copy)
    different = [p for p in migrated.legacy if restored.get(p) != migrated.legacy[p]]
    assert different == ["src/orchestration/jobs/tracking/trackers/benchmark_tracker.py"]
