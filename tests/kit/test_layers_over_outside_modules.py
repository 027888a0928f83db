"""A deprecated layer whose names come from an installed package outside the tree is found (read
statically: nothing of the package runs) and retired like any other, its importers pointed at
that package; one whose source exists nowhere stays, and every layer that stays is named with
its reason in the output and in ``retire_shims.py --json``."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from kit_helpers import SCRIPTS, Repos, Run, write_tree
from shimkit.analysis import ModuleIndex, find_shims, scan

WARN = (
    "import warnings\n\nwarnings.warn('{module} is deprecated', DeprecationWarning, stacklevel=2)\n"
)
ALMANAC = {
    "pyproject.toml": '[tool.pytest.ini_options]\npythonpath = ["src"]\n',
    "src/almanac/__init__.py": "",
    # over an installed package (site-packages), star import and all
    "src/almanac/versions_compat.py": "from packaging.version import *\n"
    + WARN.format(module="almanac.versions_compat"),
    # over a module of the tree that was deleted long ago
    "src/almanac/old_units.py": "from almanac.units_v1 import *\n"
    + WARN.format(module="almanac.old_units"),
    "src/almanac/release.py": """\
        from almanac.versions_compat import Version, parse


        def newest(tags: list[str]) -> str:
            return max(tags, key=parse)


        def is_final(tag: str) -> bool:
            return not Version(tag).is_prerelease
        """,
    "tests/test_release.py": """\
        import almanac.versions_compat as versions
        from almanac.release import is_final, newest


        def test_newest() -> None:
            assert newest(["1.2", "1.10"]) == "1.10"
            assert versions.parse("2.0") > versions.parse("2.0rc1")
            assert not is_final("3.0b1")
        """,
}


@dataclass(frozen=True)
class Retired:
    root: Path
    run: Run
    result: dict[str, object]


@pytest.fixture(scope="module")
def almanac(repos: Repos, tmp_path_factory: pytest.TempPathFactory) -> Retired:
    root = repos.make(None, "almanac")
    write_tree(root, ALMANAC)
    repos.commit_all(root, "an almanac with deprecated layers")
    result = tmp_path_factory.mktemp("result") / "retire.json"
    script = str(SCRIPTS / "retire_shims.py")
    args = ["--root", str(root), "--deprecated", "--write", "--json", str(result)]
    done = subprocess.run(
        [sys.executable, script, *args],
        cwd=root,
        env=Repos.env(COLUMNS="200"),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    run = Run(done.returncode, done.stdout, done.stderr)
    assert result.is_file(), run
    return Retired(root, run, json.loads(result.read_text(encoding="utf-8")))


@pytest.mark.slow
def test_a_layer_over_an_installed_package_is_retired_onto_it(almanac: Retired) -> None:
    root, run = almanac.root, almanac.run
    assert "verification passed" in run.stdout, run
    assert not (root / "src/almanac/versions_compat.py").exists()
    release = (root / "src/almanac/release.py").read_text(encoding="utf-8")
    assert release.startswith("from packaging.version import Version, parse\n")
    test = (root / "tests/test_release.py").read_text(encoding="utf-8")
    assert test.startswith("import packaging.version as versions\n")
    assert almanac.result["retired"] == ["almanac.versions_compat"]


@pytest.mark.slow
def test_a_layer_whose_source_exists_nowhere_stays_and_says_why(almanac: Retired) -> None:
    root, run = almanac.root, almanac.run
    assert run.returncode == 1, run
    assert (root / "src/almanac/old_units.py").is_file()
    reason = "almanac.units_v1, which is neither in the tree nor installed"
    row = next((line for line in run.stdout.splitlines() if "almanac.old_units" in line), "")
    assert reason in " ".join(run.stdout.split()), run
    assert row, run
    assert almanac.result["requested"] == ["almanac.old_units", "almanac.versions_compat"]
    left = almanac.result["left"]
    assert isinstance(left, list) and len(left) == 1
    assert left[0]["layer"] == "almanac.old_units" and reason in left[0]["reason"]
    assert almanac.result["exit"] == 1


def test_an_installed_package_is_read_without_running_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = write_tree(
        tmp_path / "site",
        {
            "tidekit/__init__.py": "raise RuntimeError('tidekit was imported')\n",
            "tidekit/tables.py": "__all__ = ['high_tide']\n\ndef high_tide(): return 6\n",
        },
    )
    monkeypatch.syspath_prepend(str(site))
    root = write_tree(
        tmp_path / "tree",
        {
            "src/harbour/__init__.py": "",
            "src/harbour/tides.py": "from tidekit.tables import *\n"
            + WARN.format(module="harbour.tides"),
            "src/harbour/quiet.py": "from tidekit.tables import high_tide, low_tide\n",
        },
    )
    codebase = scan(root)
    layers = {layer.module: layer for layer in find_shims(codebase)}
    # deprecated, so a layer though nothing it passes on comes from the tree
    assert set(layers) == {"harbour.tides"}
    assert [r.name for r in layers["harbour.tides"].reexports] == ["high_tide"]
    index = ModuleIndex(codebase)
    found = index.resolution("harbour.tides", "high_tide")
    assert found.definition is not None and found.definition.module == "tidekit.tables"
    assert "does not bind it" in index.resolution("harbour.quiet", "low_tide").unresolved
    assert "tidekit" not in sys.modules
    assert index.exists("tidekit.tables") and not index.exists("tidekit.no_such_module")
