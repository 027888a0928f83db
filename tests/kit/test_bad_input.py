"""Bad input, as real trees carry it, through a real step (step 2 ``--write`` on the legacy tree):
each case gets the right exit status, at most one line on stderr and never a traceback, nothing
written on a refusal, and files that merely look odd (a BOM, CRLF, tabs, no final newline) are
rewritten with every other byte kept."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from kit_helpers import SCRIPTS, build_legacy_repo, commit_all, files_under, git, run_script
from shimkit.cli.requirements import LIBRARIES

pytestmark = pytest.mark.slow

TRACKER = "src/orchestration/jobs/tracking/trackers/training_tracker.py"
ADAPTER = "src/infrastructure/platform/adapters/mlflow_context.py"
NESTED_SHIM = "src/orchestration/jobs/tracking/mlflow_utils.py"
OLD_IMPORT = "from orchestration.jobs.tracking.mlflow_utils import"
NEW_IMPORT = "from orchestration.jobs.tracking.utils.mlflow_utils import"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_legacy_repo(tmp_path_factory.mktemp("template") / "legacy")


@pytest.fixture
def legacy(template: Path, tmp_path: Path) -> Path:
    root = tmp_path / "legacy"
    shutil.copytree(template, root, symlinks=True)
    return root


def step2(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_script("step2_consolidate.py", root, "--write", *args)


def assert_refused(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for word in words:
        assert word in lines[0], result.stderr


def assert_no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stdout + result.stderr


@dataclass(frozen=True)
class Blocking:
    name: str
    plant: Callable[[Path], None]
    where: str


def _append(path: str, data: bytes) -> Callable[[Path], None]:
    def plant(root: Path) -> None:
        with open(root / path, "ab") as stream:
            stream.write(data)

    return plant


BLOCKING = [
    # the tracker imports the nested shim: while it does not parse, its references are unknown
    Blocking("null byte", _append(TRACKER, b"\n# \x00\n"), TRACKER),
    Blocking("undecodable bytes", _append(TRACKER, b"\n# caf\xe9\n"), TRACKER),
    Blocking("syntax error", _append(TRACKER, b"\ndef broken(:\n"), TRACKER),
]


@pytest.mark.parametrize("case", BLOCKING, ids=lambda case: case.name)
def test_an_importer_that_cannot_be_read_is_refused_and_nothing_is_written(
    legacy: Path, case: Blocking
) -> None:
    case.plant(legacy)
    commit_all(legacy, case.name)
    before = files_under(legacy)
    result = step2(legacy)
    assert_refused(result, case.where)
    assert_no_traceback(result)
    assert files_under(legacy) == before


JUNK = {
    "null byte": b"x = 1\n# \x00\n",
    "undecodable bytes": b"# caf\xe9\nx = 1\n",
    "syntax error": b"def broken(:\n",
}


@pytest.mark.parametrize("junk", sorted(JUNK))
def test_the_same_junk_where_it_cannot_name_a_shim_is_skipped(legacy: Path, junk: str) -> None:
    path = legacy / "tests/tracking/test_junk_on_purpose.py"
    path.write_bytes(JUNK[junk])
    commit_all(legacy, junk)
    result = step2(legacy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "skipped tests/tracking/test_junk_on_purpose.py" in result.stderr
    assert_no_traceback(result)
    assert not (legacy / NESTED_SHIM).exists()
    assert path.read_bytes() == JUNK[junk]


@dataclass(frozen=True)
class Shape:
    name: str
    encode: Callable[[str], bytes]


SHAPES = [
    Shape("BOM", lambda text: b"\xef\xbb\xbf" + text.encode()),
    Shape("CRLF", lambda text: text.replace("\n", "\r\n").encode()),
    Shape("tabs", lambda text: text.replace("    ", "\t").encode()),
    Shape("no final newline", lambda text: text.rstrip("\n").encode()),
]


@pytest.mark.parametrize("shape", SHAPES, ids=lambda shape: shape.name)
def test_odd_but_valid_files_are_rewritten_keeping_every_other_byte(
    legacy: Path, shape: Shape
) -> None:
    path = legacy / ADAPTER
    original = path.read_text(encoding="utf-8")
    path.write_bytes(shape.encode(original))
    commit_all(legacy, shape.name)
    result = step2(legacy)
    assert result.returncode == 0, result.stdout + result.stderr
    expected = original.replace(
        "from orchestration.jobs.tracking.mlflow_helpers import create_child_run",
        "from orchestration.jobs.tracking.utils.helpers import create_child_run",
    ).replace(OLD_IMPORT, NEW_IMPORT)
    assert expected != original
    assert path.read_bytes() == shape.encode(expected)


def test_an_empty_module_and_an_empty_notebook_are_fine(legacy: Path) -> None:
    (legacy / "src/orchestration/jobs/empty.py").write_bytes(b"")
    (legacy / "notebooks/empty.ipynb").write_bytes(b"")
    commit_all(legacy, "empty files")
    result = step2(legacy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "skipped notebooks/empty.ipynb" in result.stderr


def test_a_read_only_importer_is_refused_and_nothing_is_written(legacy: Path) -> None:
    path = legacy / TRACKER
    os.chmod(path, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    before = files_under(legacy)
    result = step2(legacy)
    assert_refused(result, TRACKER, "read-only")
    assert files_under(legacy) == before
    assert stat.S_IMODE(path.stat().st_mode) == 0o444


def test_symlinks_are_never_followed_nor_written(legacy: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "elsewhere.py").write_text(f"{OLD_IMPORT} retry_with_backoff\n")
    before_outside = (outside / "elsewhere.py").read_bytes()
    jobs = legacy / "src/orchestration/jobs"
    os.symlink(outside / "elsewhere.py", jobs / "linked_out.py")
    os.symlink(outside, jobs / "linked_dir")
    os.symlink(jobs / "loop", jobs / "loop")  # a link to itself
    os.symlink(legacy / "src", jobs / "up")  # a loop through a directory
    result = step2(legacy, "--allow-dirty")
    assert result.returncode == 0, result.stdout + result.stderr
    assert_no_traceback(result)
    assert (outside / "elsewhere.py").read_bytes() == before_outside
    assert (jobs / "linked_out.py").is_symlink()
    assert not (legacy / NESTED_SHIM).exists()


def test_a_detached_head_is_a_tree_like_any_other(legacy: Path) -> None:
    git(legacy, "checkout", "-q", "--detach")
    result = step2(legacy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not (legacy / NESTED_SHIM).exists()


def test_staged_changes_are_refused_unless_allowed(legacy: Path) -> None:
    readme = legacy / "src/orchestration/jobs/notes.py"
    readme.write_text('"""Work in progress."""\n')
    git(legacy, "add", str(readme))
    before = files_under(legacy)
    result = step2(legacy)
    assert_refused(result, "uncommitted changes", "src/orchestration/jobs/notes.py")
    assert files_under(legacy) == before
    assert step2(legacy, "--allow-dirty").returncode == 0


def test_an_unknown_flag_is_one_line_and_exit_2(legacy: Path) -> None:
    for script in ("step1_inventory.py", "step2_consolidate.py", "retire_shims.py"):
        result = run_script(script, legacy, "--no-such-flag")
        assert_refused(result, "--no-such-flag")


def test_a_root_inside_the_repository_suggests_the_root_that_has_the_sources(
    legacy: Path,
) -> None:
    result = run_script("step2_consolidate.py", legacy / "src")
    where = f"no source directory 'src' under {legacy / 'src'}"
    assert_refused(result, where, f"--root {legacy}?")


@pytest.mark.parametrize("script", ["retire_shims.py", "step1_inventory.py", "migrate.py"])
def test_a_script_run_without_the_kits_libraries_says_how_to_install_them(
    legacy: Path, script: str
) -> None:
    before = files_under(legacy)
    # -S: the interpreter without its site-packages, as on a machine that never installed them
    run = subprocess.run(
        [sys.executable, "-S", str(SCRIPTS / script), "--root", str(legacy)],
        capture_output=True,
        text=True,
        env={"PATH": os.environ["PATH"]},
    )
    assert run.returncode == 2, run
    assert run.stdout == ""
    assert run.stderr.count("\n") == 1, run.stderr
    assert run.stderr.startswith("error: ")
    assert "bowler" in run.stderr
    assert f"pip install -r {SCRIPTS / 'requirements.txt'}" in run.stderr
    assert files_under(legacy) == before


def test_the_libraries_checked_at_start_are_the_kits_requirements() -> None:
    listed = {
        line.split("==")[0].strip().lower()
        for line in (SCRIPTS / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert set(LIBRARIES) == listed
