"""Step 5 imports the baseline modules a change can affect, and says how many it skipped; with
``--all-modules`` it imports every one. Real git repositories, real imports."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

from kit_helpers import commit_all, run_script, write_tree
from shimkit.application import ImportOptions, Run, Workspace
from shimkit.application.workspace import analyse
from shimkit.cli.reporter import RichReporter
from shimkit.domain.plan import Plan
from shimkit.use_cases.inventory import load_baseline, record_baseline
from shimkit.use_cases.verify import Scope, Verification, verify

FILES = {
    "src/app/__init__.py": "",
    "src/app/core.py": "VALUE = 1\n",
    "src/app/uses_core.py": "from app.core import VALUE\n",
    "src/app/helper.py": "HELP = 2\n",
    "src/app/uses_helper.py": "from app import helper\n",
    "src/app/alone.py": "import json\n",
}


def _repo(git_repo: Callable[..., Path], tmp_path: Path) -> Path:
    return git_repo(write_tree(tmp_path / "source", FILES))


def _baseline(git_repo: Callable[..., Path], tmp_path: Path) -> Path:
    """A committed tree whose step-1 baseline is recorded."""
    root = _repo(git_repo, tmp_path)
    workspace = Workspace(root, "src", Plan(title="test"))
    record_baseline(Run(workspace, RichReporter(out=io.StringIO())), analyse(workspace))
    return root


def _imports_row(result: Verification) -> tuple[bool | None, str]:
    return next((ok, details) for name, ok, details in result.rows if name.endswith("still import"))


def _verify(root: Path, imports: ImportOptions | None = None) -> tuple[Verification, str]:
    out = io.StringIO()
    reporter = RichReporter(out=out, err=io.StringIO())
    workspace = Workspace(root, "src", Plan(title="test"))
    scope = Scope(retired=frozenset(), kept=frozenset(), contracts_required=False)
    result = verify(Run(workspace, reporter, imports=imports), scope, load_baseline(workspace))
    return result, out.getvalue()


def test_step5_imports_only_what_the_change_can_affect(
    git_repo: Callable[..., Path], tmp_path: Path
) -> None:
    root = _baseline(git_repo, tmp_path)
    (root / "src/app/core.py").write_text("VALUE = 1 / 0\n")

    result, output = _verify(root)
    ok, details = _imports_row(result)
    assert not ok
    assert "app.core: ZeroDivisionError: division by zero" in details
    assert "app.uses_core: ZeroDivisionError" in details
    assert "4 skipped" in output  # app, app.helper, app.uses_helper, app.alone

    result, output = _verify(root, ImportOptions(all_modules=True))
    assert "skipped" not in output
    assert not _imports_row(result)[0]


def test_a_deleted_module_makes_its_importers_affected(
    git_repo: Callable[..., Path], tmp_path: Path
) -> None:
    root = _baseline(git_repo, tmp_path)
    (root / "src/app/helper.py").unlink()

    result, output = _verify(root)
    ok, details = _imports_row(result)
    assert not ok
    assert "app.uses_helper: ImportError: cannot import name 'helper' from 'app'" in details
    assert "app.helper: missing" in details
    assert "4 skipped" in output  # app, app.core, app.uses_core, app.alone


def test_a_committed_change_since_the_baseline_counts_too(
    git_repo: Callable[..., Path], tmp_path: Path
) -> None:
    root = _baseline(git_repo, tmp_path)
    (root / "src/app/alone.py").write_text("import json\nimport does_not_exist_anywhere\n")
    commit_all(root, "break alone")

    result, output = _verify(root)
    ok, details = _imports_row(result)
    assert (ok, details) == (
        False,
        "app.alone: ModuleNotFoundError: No module named 'does_not_exist_anywhere'",
    )
    assert "5 skipped" in output


def test_the_import_smoke_script_takes_the_import_check_options(
    git_repo: Callable[..., Path], tmp_path: Path
) -> None:
    root = _repo(git_repo, tmp_path)
    fresh = run_script("import_smoke.py", root, "--fresh-interpreters", "--jobs", "1")
    assert (fresh.returncode, fresh.stdout.strip()) == (
        0,
        "import smoke: OK (6 modules imported cleanly)",
    ), fresh
    # the gate's output is its verdict; where the time went only when asked
    timed = run_script("import_smoke.py", root, "--phases")
    assert timed.returncode == 0, timed
    assert timed.stdout.startswith("import smoke: OK (6 modules imported cleanly)\n")
    assert "Where the time went" in timed.stdout
    assert "import checks" in timed.stdout
    bad = run_script("import_smoke.py", root, "--jobs", "0")
    assert bad.returncode == 2
    assert bad.stderr == "error: --jobs must be at least 1, not 0\n"
