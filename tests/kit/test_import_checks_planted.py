"""Planted import regressions: each is caught by the forked check (children forked below the
packages they share, several at once) exactly as by one fresh interpreter per module. Real trees,
real processes."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from kit_helpers import write_tree
from shimkit.verify import ImportMode, ModuleSmoke, SmokeOutcome, SmokeReport, smoke_modules

TREE = {
    "src/app/__init__.py": "",
    "src/app/core/__init__.py": "from app.core import registry\n",
    "src/app/core/registry.py": "ITEMS: dict[str, int] = {}\n",
    "src/app/core/values.py": "thing = None\nother = 1\n",
    # re-exports a name that is None: a rewrite pointed it at the wrong object
    "src/app/core/compat.py": "from app.core.values import thing, other\n",
    # works only when app.core.loader was imported first (it imports app.core.extra on the way)
    "src/app/core/loader.py": "import app.core.extra\n",
    "src/app/core/extra.py": "VALUE = 2\n",
    "src/app/core/alone.py": "import app.core\n\nX = app.core.extra.VALUE\n",
    # a circular import: fine when cycle_b is imported first, broken when cycle_a is
    "src/app/core/cycle_a.py": "from app.core import cycle_b\n\nVALUE = 1\n",
    "src/app/core/cycle_b.py": "from app.core.cycle_a import VALUE\n",
    # a package whose own import warns: every module below it warns on a fresh import too
    "src/app/old/__init__.py": """\
        import warnings
        warnings.warn("app.old is deprecated", DeprecationWarning, stacklevel=2)
        """,
    "src/app/old/deep/__init__.py": "",
    "src/app/old/deep/leaf.py": "LEAF = 1\n",
    # a package that fails on import: so does every module below it
    "src/app/broken/__init__.py": "raise RuntimeError('app.broken cannot start')\n",
    "src/app/broken/part.py": "PART = 1\n",
    "src/app/broken/inner/__init__.py": "",
    "src/app/broken/inner/piece.py": "PIECE = 1\n",
    # reads a changed module's file without importing it
    "src/app/core/reads_extra.py": """\
        import os
        open(os.path.join(os.path.dirname(__file__), "extra.py")).close()
        """,
    # lists its package's modules as a plugin loader does (a deleted one changes the listing)
    "src/app/plugins.py": """\
        import pkgutil
        import app
        NAMES = [found.name for found in pkgutil.iter_modules(app.__path__)]
        """,
    # a module that warns itself, below a package that does not
    "src/app/core/warns.py": """\
        import warnings
        warnings.warn("app.core.warns is old", DeprecationWarning)
        """,
}

EXPECTED = {
    "app": (SmokeOutcome.OK, ""),
    "app.core": (SmokeOutcome.OK, ""),
    "app.core.registry": (SmokeOutcome.OK, ""),
    "app.core.compat": (SmokeOutcome.NONE_REEXPORT, "re-exported names unusable: thing (None)"),
    "app.core.loader": (SmokeOutcome.OK, ""),
    "app.core.alone": (
        SmokeOutcome.IMPORT_ERROR,
        "AttributeError: module 'app.core' has no attribute 'extra'",
    ),
    "app.core.cycle_b": (SmokeOutcome.OK, ""),
    "app.core.cycle_a": (
        SmokeOutcome.IMPORT_ERROR,
        "ImportError: cannot import name 'VALUE' from partially initialized module "
        "'app.core.cycle_a' (most likely due to a circular import) (src/app/core/cycle_a.py)",
    ),
    "app.old": (SmokeOutcome.DEPRECATION, "DeprecationWarning: app.old is deprecated"),
    "app.old.deep.leaf": (SmokeOutcome.DEPRECATION, "DeprecationWarning: app.old is deprecated"),
    "app.broken.part": (SmokeOutcome.IMPORT_ERROR, "RuntimeError: app.broken cannot start"),
    "app.broken.inner.piece": (SmokeOutcome.IMPORT_ERROR, "RuntimeError: app.broken cannot start"),
    "app.core.warns": (SmokeOutcome.DEPRECATION, "DeprecationWarning: app.core.warns is old"),
    "app.core.reads_extra": (SmokeOutcome.OK, ""),
    "app.plugins": (SmokeOutcome.OK, ""),
}


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tree(tmp_path_factory.mktemp("planted"), TREE)


# modules a change touched: each result names those its import reached
CHANGED = ("app.core.extra", "app.core.cycle_b", "app.old", "app.gone")


def _check(root: Path, mode: ImportMode, jobs: int) -> SmokeReport:
    # the order puts each module that hides a regression after the one that would hide it
    return smoke_modules(
        root,
        "src",
        list(EXPECTED),
        {"app.core.compat": ("thing", "other")},
        jobs,
        mode=mode,
        changed=CHANGED,
    )


def _outcomes(report: SmokeReport) -> dict[str, tuple[SmokeOutcome, str]]:
    return {
        result.module: (result.outcome, result.message.replace(str(Path.cwd()), ""))
        for result in report.results
    }


def _comparable(result: ModuleSmoke) -> ModuleSmoke:
    return dataclasses.replace(result, seconds=0.0)


@pytest.mark.parametrize("jobs", [1, 3])
def test_every_planted_regression_is_caught_by_forked_and_fresh_checks_alike(
    tree: Path, jobs: int
) -> None:
    forked = _check(tree, ImportMode.FORK, jobs)
    fresh = _check(tree, ImportMode.FRESH, jobs)
    assert not forked.notes, forked.notes  # the forked path really ran
    relative = {k: (o, m.replace(f"{tree}/", "")) for k, (o, m) in _outcomes(forked).items()}
    assert relative == EXPECTED
    assert [_comparable(r) for r in forked.results] == [_comparable(r) for r in fresh.results]


def test_a_deprecation_from_a_package_is_blamed_on_the_package_file(tree: Path) -> None:
    report = _check(tree, ImportMode.FORK, 2)
    leaf = next(r for r in report.results if r.module == "app.old.deep.leaf")
    assert [(d.path, d.line) for d in leaf.deprecations] == [("src/app/old/__init__.py", 2)]


def test_each_result_names_the_changed_modules_its_import_reached(tree: Path) -> None:
    report = _check(tree, ImportMode.FORK, 2)
    reached = {r.module: r.reached for r in report.results}
    assert reached["app.core.alone"] == ()  # failed before it asked for app.core.extra
    assert reached["app.core.loader"] == ("app.core.extra",)
    assert reached["app.core.cycle_a"] == ("app.core.cycle_b",)
    assert reached["app.old.deep.leaf"] == ("app.old",)  # through its package, in another process
    assert reached["app.broken.part"] == ()
    assert reached["app.core.reads_extra"] == ("app.core.extra",)  # read the file, no import
    # listed the folder that holds app.gone and app.old (and pkgutil lists app/core, which holds
    # two more); the import system's own listings of those folders reach nothing
    assert reached["app.plugins"] == ("app.core.cycle_b", "app.core.extra", "app.gone", "app.old")
    assert reached["app.core.registry"] == ()
