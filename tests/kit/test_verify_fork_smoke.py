"""Import checks in children forked from one server: each module still imports on its own, as in a
fresh interpreter. Real trees, real processes."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from kit_helpers import REPO, build_legacy_repo, write_tree
from shimkit.analysis import import_graph, scan
from shimkit.application.smoke import importable_candidates, reexported_names
from shimkit.application.workspace import Workspace, analyse
from shimkit.domain.plan import Plan
from shimkit.verify import ImportMode, SmokeOutcome, SmokeReport, smoke_modules

BOTH = pytest.mark.parametrize("mode", list(ImportMode))

FILES = {
    "marker.txt": "",
    "src/pkg/__init__.py": "",
    "src/pkg/registry_owner.py": "import pkg\npkg.registry = {}\n",
    "src/pkg/needs_registry.py": "import pkg\npkg.registry['b'] = 1\n",
    "src/pkg/pollutes.py": """\
        import builtins, os, sys, warnings
        builtins.polluted = True
        os.environ["SHIMKIT_POLLUTED"] = "1"
        os.chdir("/")
        warnings.simplefilter("ignore")
        """,
    "src/pkg/innocent.py": """\
        import builtins, os, warnings
        assert not hasattr(builtins, "polluted"), "state leaked from another module"
        assert "SHIMKIT_POLLUTED" not in os.environ, "environment leaked from another module"
        open("marker.txt").close()  # relative to the root: the working directory was reset
        warnings.warn("innocent is old", DeprecationWarning)
        """,
    "src/pkg/uses_messy_vendor.py": "import messyvendor\n",
    "src/pkg/hangs.py": "import time\ntime.sleep(120)\n",
    "src/pkg/exits.py": "import os, sys\nsys.stderr.write('giving up\\n')\nos._exit(3)\n",
    "src/pkg/killed.py": "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n",
    "src/pkg/segfaults.py": "import ctypes\nctypes.string_at(0)\n",
    "src/pkg/uses_threaded_vendor.py": "import threadedvendor\n",
    "src/pkg/sleeper.py": """\
        import os, time
        with open("pids.txt", "w") as out:
            out.write(f"{os.getpid()} {os.getppid()}")
        time.sleep(600)
        """,
    # a third-party package that changes the importer's process for good when it is loaded
    "vendor/messyvendor.py": """\
        import os, warnings
        os.chdir("/")
        warnings.simplefilter("ignore")
        """,
    "vendor/threadedvendor.py": """\
        import threading, time
        threading.Thread(target=time.sleep, args=(600,), name="poller", daemon=True).start()
        """,
    "vendor/pluginvendor.py": "import pkg.registry_owner\n",
}


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fork")
    write_tree(root, FILES)
    return root


def _smoke(
    root: Path,
    modules: list[str],
    mode: ImportMode,
    *,
    jobs: int | None = None,
    timeout: float = 60.0,
    preload: Sequence[str] = (),
) -> SmokeReport:
    return smoke_modules(
        root,
        "src",
        modules,
        jobs=jobs,
        extra_paths=[root / "vendor"],
        timeout=timeout,
        mode=mode,
        preload=preload,
    )


def _by_module(report: SmokeReport) -> dict[str, tuple[SmokeOutcome, str]]:
    return {r.module: (r.outcome, r.message) for r in report.results}


@BOTH
def test_a_module_that_works_only_after_another_fails_on_its_own(
    tree: Path, mode: ImportMode
) -> None:
    report = _smoke(tree, ["pkg.registry_owner", "pkg.needs_registry"], mode, jobs=1)
    assert _by_module(report) == {
        "pkg.registry_owner": (SmokeOutcome.OK, ""),
        "pkg.needs_registry": (
            SmokeOutcome.IMPORT_ERROR,
            "AttributeError: module 'pkg' has no attribute 'registry'",
        ),
    }


@BOTH
def test_what_a_module_or_a_preloaded_package_changes_does_not_reach_the_next(
    tree: Path, mode: ImportMode
) -> None:
    modules = ["pkg.uses_messy_vendor", "pkg.pollutes", "pkg.innocent"]
    report = _smoke(tree, modules, mode, jobs=1, preload=["messyvendor"])
    innocent = report.results[2]
    assert (innocent.outcome, innocent.message) == (
        SmokeOutcome.DEPRECATION,
        "DeprecationWarning: innocent is old",
    ), innocent
    assert (innocent.path, innocent.line) == ("src/pkg/innocent.py", 5)
    assert [r.outcome for r in report.results[:2]] == [SmokeOutcome.OK, SmokeOutcome.OK]


def test_a_hanging_module_is_killed_after_the_timeout(tree: Path) -> None:
    report = _smoke(tree, ["pkg.hangs", "pkg.registry_owner"], ImportMode.FORK, timeout=3)
    assert _by_module(report) == {
        "pkg.hangs": (SmokeOutcome.IMPORT_ERROR, "import did not finish within 3 s"),
        "pkg.registry_owner": (SmokeOutcome.OK, ""),
    }


@BOTH
def test_a_module_that_ends_its_own_process_is_an_import_error(
    tree: Path, mode: ImportMode
) -> None:
    report = _smoke(tree, ["pkg.exits", "pkg.killed", "pkg.segfaults", "pkg.registry_owner"], mode)
    assert _by_module(report) == {
        "pkg.exits": (SmokeOutcome.IMPORT_ERROR, "giving up"),
        "pkg.killed": (SmokeOutcome.IMPORT_ERROR, "interpreter exited with status -9"),
        "pkg.segfaults": (SmokeOutcome.IMPORT_ERROR, "interpreter exited with status -11"),
        "pkg.registry_owner": (SmokeOutcome.OK, ""),
    }


def test_a_preload_that_starts_a_thread_falls_back_to_fresh_interpreters(tree: Path) -> None:
    report = _smoke(
        tree,
        ["pkg.uses_threaded_vendor", "pkg.registry_owner", "pkg.needs_registry"],
        ImportMode.FORK,
        preload=["threadedvendor"],
    )
    assert len(report.notes) == 1
    assert "started 1 thread(s) (poller)" in report.notes[0]
    assert "fresh interpreter" in report.notes[0]
    assert [r.outcome for r in report.results] == [
        SmokeOutcome.OK,
        SmokeOutcome.OK,
        SmokeOutcome.IMPORT_ERROR,
    ]


def test_project_modules_a_preload_imported_are_imported_again_by_each_check(tree: Path) -> None:
    report = _smoke(tree, ["pkg.needs_registry"], ImportMode.FORK, preload=["pluginvendor"])
    assert _by_module(report)["pkg.needs_registry"][0] is SmokeOutcome.IMPORT_ERROR
    assert len(report.notes) == 1
    assert "pkg, pkg.registry_owner" in report.notes[0]


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] == "Z"  # a zombie is dead
    except (OSError, IndexError):
        return True


def _wait_for(condition: Callable[[], bool], limit: float = 60.0) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_the_server_and_its_children_die_with_the_kit(tree: Path, tmp_path: Path) -> None:
    root = tmp_path / "tree"
    write_tree(root, FILES)
    kit = (
        "import sys\nfrom pathlib import Path\nfrom shimkit.verify import smoke_modules\n"
        "smoke_modules(Path(sys.argv[1]), 'src', ['pkg.sleeper'], timeout=600)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO / "scripts")}
    process = subprocess.Popen([sys.executable, "-c", kit, str(root)], env=env)
    try:
        pids = root / "pids.txt"
        assert _wait_for(lambda: pids.exists() and " " in pids.read_text()), "no child started"
        child, server = (int(pid) for pid in pids.read_text().split())
        assert server != process.pid  # the child was forked by the server, not by the kit
        process.kill()  # SIGKILL: the kit gets no chance to clean up
        process.wait()
        assert _wait_for(lambda: _gone(child) and _gone(server)), "left running"
    finally:
        process.kill()
        process.wait()
        for pid in _pids_if_any(root / "pids.txt"):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _pids_if_any(path: Path) -> list[int]:
    try:
        return [int(pid) for pid in path.read_text().split()]
    except (OSError, ValueError):
        return []


# -- both modes agree on real trees --------------------------------------------------------------


def _without_timing(report: SmokeReport) -> list[object]:
    return [dataclasses.replace(result, seconds=0.0) for result in report.results]


def _both_modes(root: Path) -> tuple[SmokeReport, SmokeReport]:
    analysis = analyse(Workspace(root, "src", Plan(title="test")))
    modules = importable_candidates(analysis)
    preload = import_graph(scan(root)).external_imports(modules)
    reports = [
        smoke_modules(root, "src", modules, reexported_names(analysis), mode=mode, preload=preload)
        for mode in ImportMode
    ]
    return reports[0], reports[1]


MLFLOW_TREE = {
    "src/ml/__init__.py": "",
    "src/ml/client.py": "from mlflow.tracking import MlflowClient\n\nCLIENT = MlflowClient\n",
    "src/ml/entities.py": "from mlflow.entities import Run, RunStatus\n",
    "src/ml/setup.py": "import mlflow\nimport os\n\nURI = os.environ.get('MLFLOW_TRACKING_URI')\n",
    "src/ml/old.py": """\
        import warnings
        warnings.warn("ml.old is deprecated", DeprecationWarning, stacklevel=2)
        from ml.setup import URI
        """,
    "src/ml/uses_old.py": "from ml.old import URI\n",
    "src/ml/compat.py": """\
        try:
            from ml.client import CLIENT
        except ImportError:
            CLIENT = None
        try:
            from mlflow.tracking import NoSuchThing
        except ImportError:
            NoSuchThing = None
        """,
    "src/ml/broken.py": "from mlflow import no_such_name\n",
    "src/ml/typed.py": """\
        from typing import TYPE_CHECKING
        if TYPE_CHECKING:
            import mlflow
        def later():
            import mlflow.pyfunc
        """,
}


@pytest.mark.slow
def test_both_modes_report_the_same_on_a_tree_importing_mlflow(tmp_path: Path) -> None:
    write_tree(tmp_path, MLFLOW_TREE)
    fork, fresh = _both_modes(tmp_path)
    assert fork.notes == ()
    assert _without_timing(fork) == _without_timing(fresh)
    outcomes = {r.module: r.outcome for r in fork.results}
    assert outcomes["ml.old"] is outcomes["ml.uses_old"] is SmokeOutcome.DEPRECATION
    assert outcomes["ml.broken"] is SmokeOutcome.IMPORT_ERROR
    assert outcomes["ml.compat"] is SmokeOutcome.NONE_REEXPORT
    assert outcomes["ml.client"] is outcomes["ml.typed"] is SmokeOutcome.OK


@pytest.mark.slow
def test_both_modes_report_the_same_on_the_legacy_tree(tmp_path: Path) -> None:
    root = build_legacy_repo(tmp_path / "legacy")
    fork, fresh = _both_modes(root)
    assert fork.notes == ()
    assert _without_timing(fork) == _without_timing(fresh)
    assert fork.count(SmokeOutcome.DEPRECATION) > 0  # the deprecated shim, and what imports it


@BOTH
def test_the_package_folders_listed_before_forking_still_show_what_a_module_creates(
    tmp_path: Path, mode: ImportMode
) -> None:
    """The fork server lists each package folder once for all its children: a module that writes
    a sibling module at import time finds it, and a missing one stays missing."""
    write_tree(
        tmp_path,
        {
            "src/gen/__init__.py": "",
            "src/gen/writer.py": """\
                import importlib, pathlib
                here = pathlib.Path(__file__).with_name("made_now.py")
                here.write_text("VALUE = 42\\n")
                importlib.invalidate_caches()
                from gen.made_now import VALUE
                assert VALUE == 42
                """,
            "src/gen/reader.py": "import gen.never_written\n",
            "src/gen/plain.py": "",
        },
    )
    report = _smoke(tmp_path, ["gen.plain", "gen.writer", "gen.reader"], mode, jobs=1)
    assert _by_module(report) == {
        "gen.plain": (SmokeOutcome.OK, ""),
        "gen.writer": (SmokeOutcome.OK, ""),
        "gen.reader": (
            SmokeOutcome.IMPORT_ERROR,
            "ModuleNotFoundError: No module named 'gen.never_written'",
        ),
    }
