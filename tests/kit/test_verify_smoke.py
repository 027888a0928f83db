"""Import smoke: each module on its own (forked, or in a fresh interpreter), on a real tree, real
subprocesses."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from kit_helpers import write_tree
from shimkit.verify import ImportMode, SmokeOutcome, smoke_modules

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "import_smoke.py"

FILES = {
    "src/pkg/__init__.py": "",
    "src/pkg/good.py": "def f():\n    return 1\n",
    "src/pkg/broken.py": "import pkg.good\nimport does_not_exist_anywhere\n",
    "src/pkg/syntax.py": "def (:\n",
    "src/pkg/deprecated.py": """\
        import warnings

        warnings.warn("pkg.deprecated is deprecated", DeprecationWarning, stacklevel=2)
        from pkg.good import f
        """,
    "src/pkg/deprecated_here.py": """\
        import warnings
        warnings.warn("old here", DeprecationWarning)
        """,
    "src/pkg/indirect.py": "from pkg.deprecated import f\n",
    "src/pkg/future.py": "import warnings\nwarnings.warn('later', FutureWarning)\n",
    "src/pkg/uses_vendor.py": "import vendorlib\nimport vendorlib2\n",
    "src/pkg/none_shim.py": """\
        try:
            from pkg.good import f
        except ImportError:
            f = None
        try:
            from pkg.nothere import g
        except ImportError:
            g = None
        """,
    "vendor/vendorlib.py": """\
        import warnings
        warnings.warn("vendorlib is old", DeprecationWarning)
        """,
    "vendor/vendorlib2.py": """\
        import warnings
        warnings.warn("blames the importer", DeprecationWarning, stacklevel=2)
        """,
}


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tree(tmp_path_factory.mktemp("smoke"), FILES)


@pytest.mark.parametrize("mode", list(ImportMode))
def test_outcomes(tree: Path, mode: ImportMode) -> None:
    modules = [
        "pkg",
        "pkg.good",
        "pkg.broken",
        "pkg.syntax",
        "pkg.deprecated",
        "pkg.deprecated_here",
        "pkg.indirect",
        "pkg.future",
        "pkg.uses_vendor",
        "pkg.none_shim",
        "pkg.missing",
    ]
    seen: list[tuple[int, int]] = []
    report = smoke_modules(
        tree,
        "src",
        modules,
        {"pkg.none_shim": ["f", "g", "h"], "pkg.good": ["f"]},
        jobs=4,
        on_progress=lambda done, total: seen.append((done, total)),
        extra_paths=[tree / "vendor"],
        mode=mode,
        preload=["vendorlib", "vendorlib2", "warnings"],
    )
    by = {r.module: r for r in report.results}
    assert [r.module for r in report.results] == modules
    assert seen == [(n, len(modules)) for n in range(1, len(modules) + 1)]
    assert not report.ok
    assert report.notes == ()

    for ok in ("pkg", "pkg.good", "pkg.future", "pkg.uses_vendor"):
        assert by[ok].outcome is SmokeOutcome.OK, by[ok]

    broken = by["pkg.broken"]
    assert broken.outcome is SmokeOutcome.IMPORT_ERROR
    assert broken.message == "ModuleNotFoundError: No module named 'does_not_exist_anywhere'"
    assert (broken.path, broken.line) == ("src/pkg/broken.py", 2)
    assert by["pkg.syntax"].outcome is SmokeOutcome.IMPORT_ERROR
    assert by["pkg.syntax"].message.startswith("SyntaxError")
    assert by["pkg.syntax"].path == "src/pkg/syntax.py"
    assert by["pkg.missing"].message == "ModuleNotFoundError: No module named 'pkg.missing'"

    # issued by the shim, whatever the stacklevel blames
    for name in ("pkg.deprecated", "pkg.indirect"):
        result = by[name]
        assert result.outcome is SmokeOutcome.DEPRECATION, result
        assert result.message == "DeprecationWarning: pkg.deprecated is deprecated"
        assert (result.path, result.line) == ("src/pkg/deprecated.py", 3)
    assert by["pkg.deprecated_here"].deprecations[0].path == "src/pkg/deprecated_here.py"

    none_shim = by["pkg.none_shim"]
    assert none_shim.outcome is SmokeOutcome.NONE_REEXPORT
    assert none_shim.bad_names == (("g", "None"), ("h", "missing"))
    assert none_shim.message == "re-exported names unusable: g (None), h (missing)"

    assert report.count(SmokeOutcome.OK) == 4
    assert {r.module for r in report.failures} == set(modules) - {
        "pkg",
        "pkg.good",
        "pkg.future",
        "pkg.uses_vendor",
    }


def test_the_tree_is_not_written(tree: Path) -> None:
    smoke_modules(tree, "src", ["pkg.good"])
    assert not list(tree.rglob("__pycache__"))


def test_import_smoke_script(tree: Path, tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, str(SCRIPT), "--root", str(tree), "--src", "src", "--jobs", "4"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "200"},
    )
    assert run.returncode == 1, run.stderr
    for failing in ("pkg.broken", "pkg.deprecated", "pkg.none_shim", "import-error", "deprecation"):
        assert failing in run.stdout
    assert "pkg.good " not in run.stdout

    good = tmp_path / "good"
    (good / "src" / "lib").mkdir(parents=True)
    (good / "src" / "lib" / "__init__.py").write_text("from lib.core import x\n")
    (good / "src" / "lib" / "core.py").write_text("x = 1\n")
    (good / "src" / "lib" / "__pycache__").mkdir()
    (good / "src" / "lib" / "__main__.py").write_text("raise SystemExit('never imported')\n")
    run = subprocess.run(
        [sys.executable, str(SCRIPT), "--root", str(good)], capture_output=True, text=True
    )
    assert (run.returncode, run.stdout.strip()) == (
        0,
        "import smoke: OK (2 modules imported cleanly)",
    )

    run = subprocess.run(
        [sys.executable, str(SCRIPT), "--root", str(tmp_path / "nope")],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2
    assert run.stderr.startswith("error: ") and run.stderr.count("\n") == 1
