"""A run reads the tree as often as it needs, but parses each file's content once: step 5 on the
bundled legacy tree looks at it six times (its scope, the verification, the success criteria and
the planning of the three pending steps), and used to parse every file six times."""

from __future__ import annotations

import ast
import gc
import io
import os
import time
from collections import Counter
from pathlib import Path

import pytest
from kit_helpers import KIT_IDENTITY, build_legacy_repo, commit_all, quick_plan, write_tree
from shimkit.analysis import SourceFile, parse_memo, sources
from shimkit.analysis.memory import trees_held_apart
from shimkit.analysis.parse_memo import parsing_once
from shimkit.application import Run, Workspace
from shimkit.cli import retire_main, verify_main
from shimkit.cli.reporter import RichReporter
from shimkit.domain import shortcuts
from shimkit.domain.model import ParseFailure
from shimkit.domain.plan import Plan
from shimkit.use_cases import run_inventory


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How many times each file (root-relative path) is parsed."""
    counted: Counter[str] = Counter()
    parse = sources.parse_source

    def counting(
        rel: str, data: bytes, src: str = "src"
    ) -> tuple[SourceFile | None, list[ParseFailure]]:
        counted[rel] += 1
        return parse(rel, data, src)

    monkeypatch.setattr(sources, "parse_source", counting)
    return counted


def test_step5_on_the_bundled_tree_parses_each_file_once(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    parses: Counter[str],
) -> None:
    for name, value in KIT_IDENTITY.items():
        monkeypatch.setenv(name, value)
    root = build_legacy_repo(tmp_path / "legacy")
    quiet = RichReporter(out=io.StringIO(), err=io.StringIO())
    workspace = Workspace(root, "src", quick_plan())
    assert run_inventory(Run(workspace, quiet), write_contracts=True) == 0
    commit_all(root, "step 1")
    parses.clear()

    status = verify_main(quick_plan(), ["--root", str(root)])

    shown = capsys.readouterr().out
    assert status == 0, shown[-3000:]
    assert "verification passed" in shown
    assert "Plan steps still pending" in shown  # each step was planned, on the same parses
    assert len(parses) > 40 and "src/orchestration/mlflow_utils.py" in parses
    assert set(parses.values()) == {1}, parses.most_common(3)


def test_a_file_the_run_changed_is_parsed_again(tmp_path: Path, parses: Counter[str]) -> None:
    root = write_tree(tmp_path / "tree", {"src/pkg/__init__.py": "", "src/pkg/a.py": "X = 1\n"})
    with parsing_once():
        first = sources.scan(root, "src")
        (root / "src/pkg/a.py").write_text("X = 2\n", encoding="utf-8")
        second = sources.scan(root, "src")
        third = sources.scan(root, "src")
    assert parses == {"src/pkg/__init__.py": 1, "src/pkg/a.py": 2}
    assert second is not first and third is second  # what is derived from it can be reused
    before, after = first.module("pkg.a"), second.module("pkg.a")
    assert before is not None and after is not None
    assert (before.text, after.text) == ("X = 1\n", "X = 2\n")
    assert second.module("pkg") is first.module("pkg")  # unchanged: the same parse


def test_outside_a_run_nothing_is_remembered(tmp_path: Path, parses: Counter[str]) -> None:
    root = write_tree(tmp_path / "tree", {"src/pkg/__init__.py": ""})
    sources.scan(root, "src")
    sources.scan(root, "src")
    assert parses == {"src/pkg/__init__.py": 2}


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How many times each file (path) is read by a scan."""
    counted: Counter[str] = Counter()
    read = parse_memo._read

    def counting(path: str, size: int = 0) -> bytes:
        counted[Path(path).name] += 1
        return read(path, size)

    monkeypatch.setattr(parse_memo, "_read", counting)
    return counted


def _later(monkeypatch: pytest.MonkeyPatch) -> None:
    """The run's clock a minute on: every file on disk now was written long before it reads."""
    now = time.time_ns()
    monkeypatch.setattr(parse_memo, "_now", lambda: now + 60_000_000_000)


def _rewritten_in_place(path: Path, text: str) -> None:
    """``path`` holds ``text`` (as long as what it held), its modification time set back."""
    before = path.stat()
    time.sleep(0.05)  # past the file system's clock tick: the change time moves
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size and path.stat().st_mtime_ns == before.st_mtime_ns


def test_a_file_unchanged_since_the_run_read_it_is_not_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reads: Counter[str]
) -> None:
    """Its status says so; a file written since, even to the same size with its modification time
    set back, has a new change time and is read again."""
    root = write_tree(tmp_path / "tree", {"src/pkg/__init__.py": "", "src/pkg/a.py": "X = 1\n"})
    _later(monkeypatch)
    with parsing_once():
        first = sources.scan(root, "src")
        assert sources.scan(root, "src") is first
        assert reads == {"__init__.py": 1, "a.py": 1}
        _rewritten_in_place(root / "src/pkg/a.py", "X = 2\n")
        second = sources.scan(root, "src")
    assert reads == {"__init__.py": 1, "a.py": 2}
    changed = second.module("pkg.a")
    assert changed is not None and changed.text == "X = 2\n"


def test_a_file_changed_as_the_run_read_it_is_read_again(
    tmp_path: Path, reads: Counter[str]
) -> None:
    """Written moments before the run read it: a later write in the same clock tick would leave
    its status as it was, so the status is not trusted."""
    root = write_tree(tmp_path / "tree", {"src/pkg/__init__.py": "", "src/pkg/a.py": "X = 1\n"})
    with parsing_once():
        sources.scan(root, "src")
        path = root / "src/pkg/a.py"
        before = path.stat()
        path.write_text("X = 2\n", encoding="utf-8")
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
        second = sources.scan(root, "src")
    assert reads == {"__init__.py": 2, "a.py": 2}
    changed = second.module("pkg.a")
    assert changed is not None and changed.text == "X = 2\n"


def test_without_shortcuts_every_scan_reads_every_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reads: Counter[str]
) -> None:
    root = write_tree(tmp_path / "tree", {"src/pkg/__init__.py": "", "src/pkg/a.py": "X = 1\n"})
    _later(monkeypatch)
    with shortcuts.switched_off(), parsing_once():
        first = sources.scan(root, "src")
        assert sources.scan(root, "src") is first  # the same content: the same parses
    assert reads == {"__init__.py": 2, "a.py": 2}


def test_a_run_holds_its_trees_apart_from_the_collector_and_hands_them_back(
    tmp_path: Path,
) -> None:
    """Within a run, the trees a scan leaves alive are never walked by a collection (frozen);
    after it the collector sees them again, and they stay whole throughout."""
    root = write_tree(tmp_path / "tree", {"src/pkg/__init__.py": "", "src/pkg/a.py": "X = 1\n"})
    assert gc.get_freeze_count() == 0
    with trees_held_apart():
        codebase = sources.scan(root, "src")
        held = codebase.module("pkg.a")
        assert held is not None and held.tree is not None
        assert gc.get_freeze_count() > 0
        assert not any(node is held.tree for node in gc.get_objects())
        gc.collect()
        assert ast.unparse(held.tree) == "X = 1"
    assert gc.get_freeze_count() == 0
    assert any(node is held.tree for node in gc.get_objects())


@pytest.mark.parametrize("said", [0, 1, 4095, 4096, 4097, 70_000, 1 << 20])
def test_a_read_gives_the_whole_file_whatever_size_it_was_told(tmp_path: Path, said: int) -> None:
    """The scan's read asks for the size the file's status gave: a file that grew since (or is
    smaller) is still read to its end."""
    for size in (0, 1, 4096, 70_001, 300_000):
        path = tmp_path / f"f{size}.py"
        data = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
        path.write_bytes(data)
        assert parse_memo._read(str(path), said) == data


@pytest.mark.parametrize("on", [True, False], ids=["shortcuts", "no-shortcuts"])
def test_a_retire_scans_the_users_tree_once_before_its_working_copy(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    on: bool,
) -> None:
    """Finding what was asked and analysing the step look at the same tree, nothing written
    between: the second takes the first's scan (with the shortcuts off, it scans again)."""
    root = write_tree(
        tmp_path / "shop",
        {
            "src/shop/__init__.py": "",
            "src/shop/core.py": "def price(value):\n    return value\n",
            "src/shop/old.py": "from shop.core import price\n",
            "src/shop/use.py": "from shop.old import price\n",
        },
    )
    commit_all(root)
    scanned: Counter[str] = Counter()
    scan = sources.scan

    def counting(at: Path, *args: object, **kwargs: object) -> object:
        scanned[str(at)] += 1
        return scan(at, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("shimkit.application.workspace.scan", counting)
    with shortcuts.switched_off() if not on else parsing_once():
        status = retire_main(Plan(title="shop"), ["--root", str(root), "shop.old"])
    assert status == 0, capsys.readouterr()
    assert "+from shop.core import price" in capsys.readouterr().out  # a dry run: the diff
    assert scanned == {str(root): 1 if on else 2}
