"""``tests/fixtures/build_legacy.py``: the legacy tree is ``src/``, one strict diff, new files."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from kit_helpers import REPO, files_under

SCRIPT = REPO / "tests/fixtures/build_legacy.py"
OVERLAY = REPO / "tests/fixtures/legacy"
RETIRED_SHIMS = (
    "src/orchestration/mlflow_utils.py",
    "src/orchestration/jobs/tracking/mlflow_utils.py",
    "src/orchestration/jobs/tracking/mlflow_helpers.py",
)


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_legacy", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("build_legacy", module)
    spec.loader.exec_module(module)
    return module


bl = _load()


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *map(str, args)], capture_output=True, text=True
    )


def diffed_paths(diff: bytes) -> list[str]:
    return [patch.path for patch in bl.parse_diff(diff)]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("build") / "legacy"
    done = run(dest)
    assert done.returncode == 0, done.stderr
    return dest


def test_the_overlay_keeps_nothing_the_consolidated_repo_has() -> None:
    whole = [p for p in files_under(OVERLAY) if p != "legacy.diff"]
    assert whole and all(not (REPO / p).exists() for p in whole)
    assert all(p in whole for p in RETIRED_SHIMS)


def test_built_tree_has_the_shims_and_differs_from_src_exactly_in_the_diffed_files(
    built: Path,
) -> None:
    legacy = files_under(built)
    for shim in RETIRED_SHIMS:
        assert shim in legacy
    copied = [p for p in legacy if any(p == c or p.startswith(f"{c}/") for c in bl.COPIED)]
    consolidated = {p: (REPO / p).read_bytes() for p in copied if (REPO / p).is_file()}
    different = sorted(p for p, data in consolidated.items() if legacy[p] != data)
    assert different == sorted(diffed_paths((OVERLAY / "legacy.diff").read_bytes()))
    assert "src/orchestration/jobs/tracking/trackers/training_tracker.py" in different
    assert all(f"src/{p}" in legacy for p in files_under(REPO / "src"))


def test_a_diff_that_no_longer_applies_fails_and_leaves_no_dest(tmp_path: Path) -> None:
    overlay = tmp_path / "overlay"
    shutil.copytree(OVERLAY, overlay)
    diff = overlay / "legacy.diff"
    data = diff.read_bytes()
    target = b"-from infrastructure.tracking.mlflow.setup import setup_mlflow_for_stage\n"
    assert data.count(target) == 1
    diff.write_bytes(data.replace(target, target.replace(b"setup_mlflow", b"setup_mlfl0w")))
    dest = tmp_path / "out" / "legacy"
    done = run(dest, "--overlay", overlay)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "error: legacy.diff does not apply to src/orchestration/__init__.py: hunk 1 at line 3"
    ]
    assert not dest.exists()
    assert list(dest.parent.iterdir()) == []  # no half-built tree next to it either


def test_line_endings_must_match_too(tmp_path: Path) -> None:
    patch = bl.parse_diff(b"--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n")[0]
    assert bl.apply_patch(b"a\nb\n", patch) == b"a\nc\n"
    with pytest.raises(bl.BuildError, match=r"does not apply to f: hunk 1 at line 1"):
        bl.apply_patch(b"a\r\nb\r\n", patch)


def test_file_diff_round_trips_odd_endings() -> None:
    before, after = b"x\r\ny\nz", b"x\r\nY\nz\n"
    patch = bl.parse_diff(bl.file_diff("f", before, after))[0]
    assert bl.apply_patch(before, patch) == after


def test_write_diff_on_a_fresh_build_reproduces_the_overlay(built: Path, tmp_path: Path) -> None:
    overlay = tmp_path / "overlay"
    done = run("--write-diff", built, "--overlay", overlay)
    assert done.returncode == 0, done.stderr
    assert (overlay / "legacy.diff").read_bytes() == (OVERLAY / "legacy.diff").read_bytes()
    assert files_under(overlay) == files_under(OVERLAY)


def test_dest_must_be_empty(tmp_path: Path) -> None:
    (tmp_path / "x").write_text("")
    done = run(tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("error: destination")


@pytest.mark.parametrize(
    "diff",
    [
        b"--- a/f\n@@ -1 +1 @@\n-a\n+b\n",  # no +++ header
        b"--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n",  # hunk shorter than its header
        b"--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n\n+b\n",  # a blank line is not a context line
        b"--- a/f\n+++ b/g\n@@ -1 +1 @@\n-a\n+b\n",  # a rename
        b"--- a/../f\n+++ b/../f\n@@ -1 +1 @@\n-a\n+b\n",  # outside the tree
    ],
)
def test_malformed_diffs_are_refused(diff: bytes) -> None:
    with pytest.raises(bl.BuildError, match=r"legacy\.diff is malformed: line"):
        bl.parse_diff(diff)
