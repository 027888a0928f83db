"""The forked processes of one import check share the code of the project's modules, compiled
once into a folder outside the tree. Code whose compilation warns or fails is never shared: a
fresh interpreter compiles it, and so warns or fails, at every import of it. The records are
those of one fresh interpreter per module. Real trees, real processes."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from kit_helpers import write_tree
from shimkit.analysis import import_graph, scan
from shimkit.domain import shortcuts
from shimkit.system.scratch import free_bytes, is_owned_name, memory_base
from shimkit.verify import (
    ImportMode,
    ModuleSmoke,
    SmokeOutcome,
    SmokeReport,
    import_smoke,
    smoke_modules,
)
from shimkit.verify.fork_server import CHILD_SCRIPT

USERS = 4

TREE = {
    "src/app/__init__.py": "",
    "src/app/common.py": "VALUE = 1\n",
    # an invalid escape sequence: compiling it issues a DeprecationWarning (3.11), in this file
    "src/app/escapes.py": 'PATTERN = "\\d+"\n',
    # ``is`` with a literal: compiling it issues a SyntaxWarning
    "src/app/literal.py": "X = 1\nSAME = X is 1\n",
    "src/app/broken.py": "def broken(:\n    pass\n",
    **{
        f"src/app/users/user_{index}.py": "from app import common, escapes, literal\n"
        for index in range(USERS)
    },
    "src/app/users/__init__.py": "",
    **{f"src/app/users/needs_broken_{index}.py": "import app.broken\n" for index in range(2)},
}


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tree(tmp_path_factory.mktemp("code-cache"), TREE)


def _comparable(report: SmokeReport) -> list[ModuleSmoke]:
    return [dataclasses.replace(result, seconds=0.0) for result in report.results]


@pytest.mark.filterwarnings("ignore:invalid escape sequence:DeprecationWarning")  # the analysis's
def test_code_that_warns_or_fails_when_compiled_does_so_at_every_import_as_in_fresh_ones(
    tree: Path,
) -> None:
    order = import_graph(scan(tree)).import_order()
    modules = sorted(order.modules)

    def check(mode: ImportMode, ordered: bool = False) -> SmokeReport:
        return smoke_modules(
            tree, "src", modules, jobs=2, mode=mode, order=order if ordered else None
        )

    fresh = check(ImportMode.FRESH)
    expected = _comparable(fresh)
    by_module = {result.module: result for result in fresh.results}
    for index in range(USERS):  # each fresh import compiles escapes.py, which warns each time
        warned = by_module[f"app.users.user_{index}"]
        assert warned.outcome is SmokeOutcome.DEPRECATION
        assert [(d.path, d.line) for d in warned.deprecations] == [("src/app/escapes.py", 1)]
    for index in range(2):
        failed = by_module[f"app.users.needs_broken_{index}"]
        assert failed.outcome is SmokeOutcome.IMPORT_ERROR
        assert failed.message.startswith("SyntaxError"), failed.message
    assert _comparable(check(ImportMode.FORK)) == expected
    assert _comparable(check(ImportMode.FORK, ordered=True)) == expected
    with shortcuts.switched_off():
        assert _comparable(check(ImportMode.FORK)) == expected


# In a process of its own: the cache installed as the fork server installs it, each module
# imported twice (removed from sys.modules between), the compilations counted by audit events
COUNT_COMPILES = """
import importlib, importlib.util, json, os, sys
spec = importlib.util.spec_from_file_location("smoke_child", sys.argv[1])
child = sys.modules["smoke_child"] = importlib.util.module_from_spec(spec)
spec.loader.exec_module(child)
src, folder, floor = os.path.realpath(sys.argv[2]), sys.argv[3], int(sys.argv[4])
sys.path.insert(0, src)
child._CodeCache.install(folder, src, floor)
compiled = {}
def count(event, args):
    if event == "compile" and isinstance(args[1], str):
        name = os.path.basename(args[1])
        compiled[name] = compiled.get(name, 0) + 1
sys.addaudithook(count)
import warnings
warnings.simplefilter("ignore")
for _ in range(2):
    for name in ("app.common", "app.escapes", "app.literal"):
        importlib.import_module(name)
        del sys.modules[name]
kept = sorted(
    os.path.relpath(os.path.join(d, f), folder) for d, _, files in os.walk(folder) for f in files
)
print(json.dumps({"compiled": compiled, "kept": kept}))
"""


def compiles(tree: Path, folder: Path, floor: int = 0) -> dict[str, Any]:
    """What COUNT_COMPILES saw, with the cache in ``folder`` kept above ``floor`` free bytes."""
    done = subprocess.run(
        [
            sys.executable,
            "-P",
            "-c",
            COUNT_COMPILES,
            str(CHILD_SCRIPT),
            str(tree / "src"),
            f"{folder}",
            str(floor),
        ],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONDONTWRITEBYTECODE": "1", "PATH": ""},
    )
    counts: dict[str, Any] = json.loads(done.stdout)
    return counts


def test_code_is_compiled_once_and_kept_outside_the_tree_unless_its_compilation_warns(
    tree: Path, tmp_path: Path
) -> None:
    counts = compiles(tree, tmp_path / "code")
    assert counts["kept"] == ["app/__init__.py", "app/common.py"]
    # common.py compiled once (then read from the folder); the two that warn at every import
    # (once to find out that they warn, once as a fresh interpreter compiles them)
    assert counts["compiled"] == {
        "__init__.py": 1,
        "common.py": 1,
        "escapes.py": 4,
        "literal.py": 4,
    }
    assert not list((tree / "src").rglob("__pycache__"))


def test_a_cache_that_took_its_share_of_the_room_keeps_nothing_more(
    tree: Path, tmp_path: Path
) -> None:
    """Below the floor of free bytes it was given, the cache writes nothing: each import
    compiles its module as a fresh interpreter does."""
    folder = tmp_path / "code"
    folder.mkdir()
    counts = compiles(tree, folder, floor=free_bytes(folder) + 2**40)
    assert counts["kept"] == []
    assert counts["compiled"] == {
        "__init__.py": 1,
        "common.py": 2,
        "escapes.py": 4,
        "literal.py": 4,
    }


@pytest.mark.skipif(memory_base(create=True) is None, reason="no file system in memory here")
def test_the_cache_lies_in_memory_and_goes_with_the_check() -> None:
    """Thousands of small files: in memory none of them costs a disk inode (as the working
    copy). Its share of the room there is a quarter, as the working copy's."""
    with import_smoke._code_cache() as (folder, floor):
        memory = memory_base()  # the run made it, and the cache in it keeps it
        assert folder is not None and memory is not None and folder.parent == memory
        assert is_owned_name(folder.name)
        assert 0 < floor < free_bytes(folder)
    assert not folder.exists()
    with shortcuts.switched_off(), import_smoke._code_cache() as (none, no_floor):
        assert (none, no_floor) == (None, 0)
