"""Every file git tracks is rewritten and checked, whatever folder it is in (without git: every
file outside virtualenvs, build output and hidden folders); a file git does not track is never
read nor written; and a retired module deleted while something still imports it never passes."""

from __future__ import annotations

from pathlib import Path

import pytest
from kit_helpers import Repos, build_legacy_repo, commit_all, run_retire, run_script, write_tree
from shimkit.analysis import imports_of, scan
from shimkit.application.untracked import mentions
from shimkit.domain import shortcuts

pytestmark = pytest.mark.slow

LAYOUT = {
    "pyproject.toml": '[tool.pytest.ini_options]\npythonpath = ["src"]\n',
    "src/bakery/__init__.py": "",
    "src/bakery/ovens.py": "def preheat(degrees: int) -> int:\n    return degrees\n",
    "src/bakery/old_ovens.py": "from bakery.ovens import preheat\n\n__all__ = ['preheat']\n",
    "tests/test_ovens.py": """\
        from bakery.old_ovens import preheat


        def test_preheat() -> None:
            assert preheat(180) == 180
        """,
}
# folders the kit used not to look at: each holds an importer of the layer
ELSEWHERE = {
    "examples/bread/knead.py": "from bakery.old_ovens import preheat\n\npreheat(200)\n",
    "tools/report.py": "import bakery.old_ovens as ovens\n\nprint(ovens.preheat(1))\n",
    "conftest.py": "from bakery.old_ovens import preheat  # noqa: F401\n",
    ".ci/smoke.py": "from bakery import old_ovens\n\nold_ovens.preheat(3)\n",
}
UNTRACKED = "sandbox/scratch.py"
UNTRACKED_TEXT = "from bakery.old_ovens import preheat\n"


def test_importers_in_any_tracked_folder_are_rewritten_and_untracked_files_left_alone(
    repos: Repos,
) -> None:
    root = repos.make(None, "bakery")
    write_tree(root, {**LAYOUT, **ELSEWHERE})
    repos.commit_all(root, "a bakery")
    write_tree(root, {UNTRACKED: UNTRACKED_TEXT})
    result = run_retire(root, "bakery.old_ovens", "--write", "--allow-dirty")
    assert result.returncode == 0, result
    assert "verification passed" in result.stdout, result
    assert not (root / "src/bakery/old_ovens.py").exists()
    assert (
        (root / "examples/bread/knead.py")
        .read_text()
        .startswith("from bakery.ovens import preheat\n")
    )
    assert (root / "tools/report.py").read_text().startswith("import bakery.ovens as ovens\n")
    assert (root / "conftest.py").read_text().startswith("from bakery.ovens import preheat")
    assert (root / ".ci/smoke.py").read_text().startswith("from bakery import ovens")
    # a file the user never added is neither read nor written, though it names the layer; the
    # run says so, for the file would break unseen
    assert (root / UNTRACKED).read_text() == UNTRACKED_TEXT
    warned = " ".join(result.stderr.split())
    assert f"{UNTRACKED} is not tracked by git" in warned
    assert "names bakery.old_ovens, which this run deletes" in warned


def test_without_git_every_folder_but_tool_build_hidden_and_virtualenv_ones_is_read(
    tmp_path: Path,
) -> None:
    write_tree(
        tmp_path,
        {
            "src/bakery/__init__.py": "",
            "examples/knead.py": "",
            "docs/conf.py": "",
            "build/lib/bakery/__init__.py": "",
            "dist/old.py": "",
            "bakery.egg-info/x.py": "",
            ".hidden/x.py": "",
            "env311/pyvenv.cfg": "home = /usr/bin\n",
            "env311/lib/site.py": "",
            "node_modules/x.py": "",
        },
    )
    assert [f.path for f in scan(tmp_path).files] == [
        "docs/conf.py",
        "examples/knead.py",
        "src/bakery/__init__.py",
    ]


def test_with_git_only_tracked_files_are_read_whatever_their_folder(repos: Repos) -> None:
    root = repos.make(None, "tracked")
    write_tree(root, {"src/bakery/__init__.py": "", ".ci/check.py": "", "build/gen.py": ""})
    repos.commit_all(root, "tracked")
    write_tree(root, {"src/bakery/draft.py": "", "examples/new.py": ""})
    tracked = Repos.git(root, "ls-files", "-z").split("\0")
    paths = [f.path for f in scan(root, tracked=[p for p in tracked if p]).files]
    assert paths == [".ci/check.py", "build/gen.py", "src/bakery/__init__.py"]


def test_imports_of_a_deleted_module_are_found_in_every_form(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "src/bakery/__init__.py": "",
            "src/bakery/use.py": "from .old_ovens import preheat\n",
            "src/bakery/lazy.py": "def f():\n    from bakery import old_ovens\n",
            "examples/a.py": "import bakery.old_ovens.sub as s\n",
            "examples/b.py": "from bakery.ovens import preheat\n",
        },
    )
    sites = imports_of(scan(tmp_path), ["bakery.old_ovens"])
    assert sorted((s.path, s.line) for s in sites) == [
        ("examples/a.py", 1),
        ("src/bakery/lazy.py", 2),
        ("src/bakery/use.py", 1),
    ]


def test_the_text_filter_of_imports_of_finds_what_the_plain_walk_finds(tmp_path: Path) -> None:
    """With the shortcuts on, a file that does not show the module's last name is not walked:
    but for a relative import inside the module's package, which names it unnamed, and a name
    spelled otherwise than Python reads it (a full-width letter)."""
    write_tree(
        tmp_path,
        {
            "src/bakery/__init__.py": "",
            "src/bakery/old_ovens/__init__.py": "from . import inner\n",
            "src/bakery/old_ovens/inner.py": "from .. import old_ovens as here\n",
            "src/bakery/old_ovens/deep/__init__.py": "",
            "src/bakery/old_ovens/deep/low.py": "from ... import old_ovens\nfrom .. import x\n",
            "src/bakery/wide.py": "from bakery import \uff4fld_ovens\n",
            "src/bakery/use.py": "from .old_ovens import preheat\nimport os\n",
            "src/bakery/other.py": "from . import ovens\n",
        },
    )
    codebase = scan(tmp_path)
    sites = imports_of(codebase, ["bakery.old_ovens"])
    with shortcuts.switched_off():
        assert imports_of(codebase, ["bakery.old_ovens"]) == sites
    assert sorted((s.path, s.line) for s in sites) == [
        ("src/bakery/old_ovens/__init__.py", 1),
        ("src/bakery/old_ovens/deep/low.py", 1),
        ("src/bakery/old_ovens/deep/low.py", 2),
        ("src/bakery/old_ovens/inner.py", 1),
        ("src/bakery/use.py", 1),
        ("src/bakery/wide.py", 1),
    ]


def test_a_retired_module_still_imported_from_another_folder_fails_step5(tmp_path: Path) -> None:
    legacy = build_legacy_repo(tmp_path / "legacy")
    assert run_script("step1_inventory.py", legacy, "--write-contracts").returncode == 0
    commit_all(legacy, "step 1")
    step3 = run_script("step3_remove_deprecated.py", legacy, "--write")
    assert step3.returncode == 0, step3.stderr
    # a script written against the old layout, in a folder of its own, after the module went
    write_tree(
        legacy,
        {"benchmarks/stage_setup.py": "from orchestration import mlflow_utils\n"},
    )
    commit_all(legacy, "step 3, and a benchmark still on the old module")
    step5 = run_script("step5_verify.py", legacy)
    output = step5.stdout + step5.stderr
    assert step5.returncode == 1, output
    assert "verification FAILED" in output
    assert "benchmarks/stage_setup.py:1 imports orchestration.mlflow_utils" in output


@pytest.mark.parametrize(
    ("text", "module", "named"),
    [
        ("from bakery.old_ovens import preheat\n", "bakery.old_ovens", True),
        ("import bakery.old_ovens as ovens\n", "bakery.old_ovens", True),
        ("from bakery import (\n    bread,\n    old_ovens,\n)\n", "bakery.old_ovens", True),
        ("patch('bakery.old_ovens.preheat')\n", "bakery.old_ovens", True),
        ("from bakery.old_ovens_v2 import preheat\n", "bakery.old_ovens", False),
        ("from bakery import bread\nold_ovens = 1\n", "bakery.old_ovens", False),
        ("from cake.bakery.old_ovens import x\n", "bakery.old_ovens", False),
        ("import mod4, os\n", "mod4", True),
        ("mod4 = 1\n", "mod4", False),
    ],
)
def test_an_untracked_file_is_pointed_out_when_its_text_may_import_a_deleted_module(
    text: str, module: str, named: bool
) -> None:
    assert mentions(text, module) is named
