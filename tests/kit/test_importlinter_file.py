"""``.importlinter`` as the engine renders it: real import-linter reads it and enforces it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from kit_helpers import REPO
from shimkit.domain.importlinter_file import ContractsState, read_lists, render

STATE = ContractsState(
    root_packages=("app", "lib"),
    shims=("app.compat", "app.old"),
    allowed_importers=("app.compat",),
    allowlist=(("app.jobs", "app.compat"),),
    layers=("app", "lib"),
    layers_allowlist=(),
    reexport_only=("app.compat",),
    retired=("app.old",),
)


def tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / "src" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    shutil.copytree(REPO / "contracts", root / "contracts")
    return root


def lint(root: Path, config: str) -> subprocess.CompletedProcess[str]:
    (root / ".importlinter").write_text(config)
    return subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=root,
        env={"PYTHONPATH": str(root / "src"), "COLUMNS": "300", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )


FILES = {
    "app/__init__.py": "",
    "app/compat.py": '"""Compatibility layer."""\n\nfrom lib.core import f\n\n__all__ = ["f"]\n',
    "app/jobs.py": "from app.compat import f\n\nRESULT = f\n",
    "lib/__init__.py": "",
    "lib/core.py": "def f() -> int:\n    return 1\n",
}


def test_a_rendered_file_passes_on_the_tree_it_describes(tmp_path: Path) -> None:
    result = lint(tree(tmp_path, FILES), render(STATE))
    assert result.returncode == 0, result.stdout
    assert "4 kept, 0 broken" in result.stdout


def test_an_importer_missing_from_the_allowlist_breaks_the_protected_contract(
    tmp_path: Path,
) -> None:
    root = tree(tmp_path, {**FILES, "app/report.py": "from app.compat import f\n"})
    result = lint(root, render(STATE))
    assert result.returncode == 1
    assert "app.report -> app.compat" in result.stdout


def test_a_stale_allowlist_entry_fails_the_run(tmp_path: Path) -> None:
    root = tree(tmp_path, {**FILES, "app/jobs.py": "from lib.core import f\n"})
    result = lint(root, render(STATE))
    assert result.returncode == 1
    assert "app.jobs -> app.compat" in result.stdout


def test_a_team_s_own_contract_survives_a_re_render(tmp_path: Path) -> None:
    own = (
        "[importlinter:contract:no-cycles]\n"
        "name = lib stays independent of app\n"
        "type = forbidden\n"
        "source_modules =\n    lib\n"
        "forbidden_modules =\n    app\n"
    )
    first = render(STATE) + "\n" + own
    again = render(STATE, existing=first)
    assert own.strip() in again
    assert again.count("[importlinter:contract:shims-protected]") == 1
    root = tree(tmp_path, {**FILES, "lib/core.py": "import app\n"})
    result = lint(root, again)
    assert result.returncode == 1
    assert "lib stays independent of app BROKEN" in result.stdout


def test_sections_without_entries_are_left_out_and_lists_read_back() -> None:
    empty = ContractsState(("app",), ("app.old",), ("app.compat",), (), (), (), (), ())
    text = render(empty)
    assert "[importlinter:contract:retired]" not in text
    assert "[importlinter:contract:layers]" not in text
    assert read_lists(render(STATE)) == {
        "protected": ("app.compat", "app.old"),
        "retired": ("app.old",),
        "retired_names": (),
        "allowed_importers": ("app.compat",),
        "allowlist": ("app.jobs -> app.compat",),
    }
