"""Step 1's preconditions (recorded in its inventory; ``--strict``), a standalone step's
``--commit``, and ``retire_shims``' commit, on a small real tree with real git and real pytest."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from pathlib import Path

import pytest
from kit_helpers import (
    KIT_IDENTITY,
    REPO,
    Repos,
    commit_all,
    files_under,
    git,
    run_script,
    write_tree,
)
from shimkit.application import Run, RunOptions, Workspace
from shimkit.apply.state_file import state_path
from shimkit.cli.reporter import RichReporter
from shimkit.domain.errors import KitError
from shimkit.domain.plan import Plan
from shimkit.domain.plan_status import step_states
from shimkit.domain.steps import remove_deprecated_step
from shimkit.use_cases import migrate, run_inventory, run_retire, run_rollback, run_verify
from shimkit.use_cases.rewrite_step import run_rewrite_step

PLAN = Plan(
    title="tiny",
    deprecated=("pkg.old",),
    tracking_tests=("tests",),
    plan_doc="docs/plan.md",
)
DOC = """\
# Tiny plan

## Status

**Last Updated**: 2026-01-01

### Completed Steps
- None yet

### Pending Steps
- ⏳ Step 1: Inventory
- ⏳ Step 2: Consolidate
- ⏳ Step 3: Remove the old module
- ⏳ Step 4: Update imports
- ⏳ Step 5: Verify

## Notes

Untouched.
"""
FILES = {
    "pyproject.toml": '[tool.pytest.ini_options]\npythonpath = ["src"]\n',
    "docs/plan.md": DOC,
    "src/pkg/__init__.py": "",
    "src/pkg/core.py": "def compute() -> int:\n    return 1\n",
    "src/pkg/old.py": '"""Old home of compute."""\nfrom pkg.core import compute\n\n'
    '__all__ = ["compute"]\n',
    "src/pkg/app.py": "from pkg.old import compute\n\nVALUE = compute()\n",
    "tests/test_app.py": "from pkg.app import VALUE\n\n\ndef test_value() -> None:\n"
    "    assert VALUE == 1\n\n\ndef test_known_broken() -> None:\n    assert VALUE == 2\n",
}
BROKEN = "tests/test_app.py::test_known_broken"


class Captured(RichReporter):
    def __init__(self) -> None:
        self.stdout, self.stderr = io.StringIO(), io.StringIO()
        super().__init__(out=self.stdout, err=self.stderr)

    @property
    def text(self) -> str:
        """Everything shown, table borders gone and wrapped cells joined by spaces."""
        shown = self.stdout.getvalue() + self.stderr.getvalue()
        return " ".join(shown.replace("│", " ").replace("┃", " ").split())


@pytest.fixture
def tiny(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    for name, value in {**KIT_IDENTITY, "GIT_CONFIG_GLOBAL": "/dev/null"}.items():
        monkeypatch.setenv(name, value)
    root = write_tree(tmp_path / "tiny", FILES)
    Repos.copy_tree(REPO / "contracts", root / "contracts")  # as an adopter has them
    commit_all(root, "tiny tree")
    return Workspace(root, "src", PLAN)


def _doc(workspace: Workspace) -> str:
    return (workspace.root / "docs/plan.md").read_text(encoding="utf-8")


def test_strict_step_1_fails_on_work_in_flight_and_records_nothing(tiny: Workspace) -> None:
    git(tiny.root, "checkout", "-q", "-b", "feature/app")
    (tiny.root / "src/pkg/app.py").write_text("from pkg.old import compute\n\nVALUE = 1\n")
    commit_all(tiny.root, "work on an importer")
    git(tiny.root, "checkout", "-q", "main")

    reporter = Captured()
    status = run_inventory(Run(tiny, reporter, RunOptions(strict=True)))

    assert status == 1
    assert "feature/app 1 src/pkg/app.py" in reporter.text
    assert "1 failing, recorded as the baseline" in reporter.text
    assert not state_path(tiny.root).exists()
    assert _doc(tiny) == DOC


def test_step_1_records_failing_tests_and_step_5_names_them_pre_existing(tiny: Workspace) -> None:
    assert run_inventory(Run(tiny, Captured()), write_contracts=True) == 0
    recorded = json.loads(state_path(tiny.root).read_text())
    assert recorded["test_failures"] == [BROKEN]
    assert {p["name"]: p["met"] for p in recorded["preconditions"]} == {
        "All existing tests pass": False,
        "No work in flight on the files the plan changes": True,
        "Current import patterns known": True,
    }
    assert step_states(_doc(tiny))[1] is True
    commit_all(tiny.root, "step 1")

    step = Captured()
    options = RunOptions(write=True, commit=True)
    assert run_rewrite_step(Run(tiny, step, options), remove_deprecated_step(PLAN)) == 0
    message = git(tiny.root, "log", "-1", "--format=%B")
    assert message.startswith("Shim step 3: Remove deprecated shims\n")
    assert "Removed: pkg.old" in message and message.rstrip().endswith("Shim-Step: 3")
    committed = git(tiny.root, "show", "--name-only", "--format=", "HEAD").split()
    assert sorted(committed) == [
        ".importlinter", "CHANGELOG.md", "docs/plan.md", "src/pkg/app.py", "src/pkg/old.py"
    ]  # fmt: skip
    assert git(tiny.root, "status", "--porcelain") == ""
    assert step_states(_doc(tiny)) == {1: True, 2: False, 3: True, 4: False, 5: False}

    verify = Captured()
    assert run_verify(Run(tiny, verify)) == 0, verify.text
    assert f"pre-existing test failure (it failed at step 1): {BROKEN}" in verify.text
    assert step_states(_doc(tiny))[5] is True
    assert _doc(tiny).endswith("## Notes\n\nUntouched.\n")


def test_commit_without_write_is_refused_before_anything_runs(tiny: Workspace) -> None:
    result = run_script("step2_consolidate.py", tiny.root, "--commit")
    assert result.returncode == 2
    refusal = "error: --commit needs --write: only a written change can be committed\n"
    assert result.stderr == refusal


def test_retire_shims_commits_its_change_with_its_own_trailer(tiny: Workspace) -> None:
    reporter = Captured()
    options = RunOptions(write=True, commit=True)
    assert run_retire(Run(tiny, reporter, options), ("pkg.old",), False) == 0, reporter.text
    message = git(tiny.root, "log", "-1", "--format=%B")
    assert message.startswith("Retire shims: pkg.old\n")
    assert message.rstrip().endswith("Shim-Step: retire")
    assert git(tiny.root, "status", "--porcelain") == ""
    assert _doc(tiny) == DOC  # retiring is not a step of the plan


def test_the_status_step_1_wrote_does_not_count_as_uncommitted_work(tiny: Workspace) -> None:
    assert run_inventory(Run(tiny, Captured())) == 0
    assert git(tiny.root, "status", "--porcelain").split() == ["M", "docs/plan.md"]
    (tiny.root / "notes.txt").write_text("untracked files never count\n")

    step = remove_deprecated_step(PLAN)
    assert run_rewrite_step(Run(tiny, Captured(), RunOptions(write=True)), step) == 0
    assert step_states(_doc(tiny)) == {1: True, 2: False, 3: True, 4: False, 5: False}

    git(tiny.root, "checkout", "-q", "--", ".")
    assert run_inventory(Run(tiny, Captured())) == 0
    with (tiny.root / "docs/plan.md").open("a", encoding="utf-8") as doc:
        doc.write("A note of the team's, not the kit's.\n")
    with pytest.raises(KitError, match=r"working tree has uncommitted changes: docs/plan\.md"):
        run_rewrite_step(Run(tiny, Captured(), RunOptions(write=True)), step)


WIP = "from pkg.old import compute\n\nDRAFT = compute() + 1  # not committed yet\n"
NOTES = "untracked notes, never the kit's\n"
CHANGES = "# Changelog\n\nMy own notes, not committed yet.\n"


def _untracked(workspace: Workspace) -> dict[str, bytes]:
    listed = git(workspace.root, "ls-files", "--others", "--exclude-standard").split()
    return {path: (workspace.root / path).read_bytes() for path in listed}


def test_an_untracked_file_importing_a_retired_shim_is_never_written_and_fails_the_run(
    tiny: Workspace,
) -> None:
    (tiny.root / "src/pkg/wip.py").write_text(WIP)
    before = files_under(tiny.root)
    reporter = Captured()
    assert migrate(Run(tiny, reporter, RunOptions(write=True, commit=True))) == 1
    assert "pkg.wip -> pkg.old" in reporter.text
    assert files_under(tiny.root) == before
    assert git(tiny.root, "log", "--format=%s") == "tiny tree\n"


def test_an_untracked_file_the_kit_would_write_is_uncommitted_work(tiny: Workspace) -> None:
    (tiny.root / "CHANGELOG.md").write_text(CHANGES)
    before = files_under(tiny.root)
    with pytest.raises(KitError, match=r"uncommitted changes: CHANGELOG\.md \(commit or stash"):
        migrate(Run(tiny, Captured(), RunOptions(write=True, commit=True)))
    assert files_under(tiny.root) == before
    assert git(tiny.root, "log", "--format=%s") == "tiny tree\n"


def test_untracked_work_survives_migrate_commit_and_rollback_byte_for_byte(
    tiny: Workspace,
) -> None:
    (tiny.root / "notes.txt").write_text(NOTES)
    (tiny.root / "src/pkg/draft.py").write_text("from pkg.core import compute\n")
    untracked = _untracked(tiny)
    reporter = Captured()
    assert migrate(Run(tiny, reporter, RunOptions(write=True, commit=True))) == 0
    # the plan declares no figure: the engine expects none
    assert "re-export code removed" in reporter.text and "~100" not in reporter.text
    assert _untracked(tiny) == untracked
    committed = git(tiny.root, "log", "--name-only", "--format=").split()
    assert not set(committed) & set(untracked)

    rollback = Captured()
    assert run_rollback(Run(tiny, rollback), 0, False) == 0, rollback.text
    assert _untracked(tiny) == untracked
    assert git(tiny.root, "status", "--porcelain", "--untracked-files=no") == ""


def test_an_untracked_file_written_with_allow_dirty_stays_out_of_commits_and_rollback(
    tiny: Workspace,
) -> None:
    (tiny.root / "CHANGELOG.md").write_text(CHANGES)
    reporter = Captured()
    options = RunOptions(write=True, commit=True, allow_dirty=True)
    assert migrate(Run(tiny, reporter, options)) == 0, reporter.text
    written = (tiny.root / "CHANGELOG.md").read_text()
    assert written.startswith(CHANGES) and "`pkg.old`" in written
    assert "left out of the commit (untracked" in reporter.text
    committed = git(tiny.root, "log", "--name-only", "--format=").split()
    assert "CHANGELOG.md" not in committed

    rollback = Captured()
    assert run_rollback(Run(tiny, rollback), 0, False) == 0, rollback.text
    assert (tiny.root / "CHANGELOG.md").read_text() == written


def test_rollback_refusing_a_dirty_tree_offers_no_flag_it_does_not_have(tiny: Workspace) -> None:
    (tiny.root / "src/pkg/app.py").write_text("VALUE = 1\n")
    with pytest.raises(KitError) as refused:
        run_rollback(Run(tiny, Captured()), 0, False)
    assert str(refused.value) == (
        "working tree has uncommitted changes: src/pkg/app.py (commit or stash them)"
    )


def test_a_migration_with_nothing_to_do_says_so_and_checks_no_kept_layer_it_lacks(
    tiny: Workspace,
) -> None:
    assert migrate(Run(tiny, Captured(), RunOptions(write=True, commit=True))) == 0
    again = Captured()
    assert migrate(Run(tiny, again, RunOptions(write=True, commit=True))) == 0, again.text
    assert "is already what the migration makes it" in again.text
    assert "migration written" not in again.text
    assert "re-export the very objects" not in again.text  # the plan keeps no layer


KEPT = "from pkg.core import compute\n__all__ = ['compute']  # as the team wrote it\n"


@pytest.mark.parametrize("reformat", [False, True], ids=["as it is", "reformat_kept"])
def test_a_kept_layer_is_left_as_it_is_unless_the_plan_asks(
    tiny: Workspace, reformat: bool
) -> None:
    (tiny.root / "src/pkg/compat.py").write_text(KEPT)
    (tiny.root / "src/pkg/uses_compat.py").write_text("from pkg.compat import compute\n")
    commit_all(tiny.root, "a kept layer")
    plan = replace(PLAN, keep=("pkg.compat",), reformat_kept=reformat)
    workspace = replace(tiny, plan=plan)
    reporter = Captured()
    assert migrate(Run(workspace, reporter, RunOptions(write=True))) == 0, reporter.text
    assert (tiny.root / "src/pkg/uses_compat.py").read_text() == "from pkg.core import compute\n"
    kept = (tiny.root / "src/pkg/compat.py").read_text()
    assert (kept == KEPT) is not reformat, kept
