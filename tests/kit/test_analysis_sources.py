"""Scanning a repository: what is read, how it is decoded, what does not parse."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from shimkit.analysis import scan
from shimkit.domain.model import Area, SkippedCell


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="")
    return root


def notebook(*cells: tuple[str, str]) -> str:
    return json.dumps(
        {
            "cells": [
                {"cell_type": kind, "metadata": {}, "source": src.splitlines(keepends=True)}
                for kind, src in cells
            ],
            "metadata": {},
            "nbformat": 4,
            "nbformat_minor": 5,
        }
    )


def test_scan_finds_areas_with_module_names_and_skips_noise(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "src/pkg/__init__.py": "",
            "src/pkg/mod.py": "X = 1\n",
            "src/top.py": "",
            "src/pkg/__pycache__/mod.cpython-311.py": "",
            "src/.hidden/x.py": "",
            "tests/test_a.py": "def test_a(): pass\n",
            "tests/fixtures/legacy/old.py": "",
            "scripts/tool.py": "print(1)\n",
            "notebooks/n.ipynb": notebook(("code", "x = 1\n")),
            ".venv/lib/site.py": "",
            "docs/conf.py": "",
        },
    )
    codebase = scan(tmp_path, exclude=["tests/fixtures"])
    paths = [f.path for f in codebase.files]
    assert paths == [
        "docs/conf.py",
        "notebooks/n.ipynb",
        "scripts/tool.py",
        "src/pkg/__init__.py",
        "src/pkg/mod.py",
        "src/top.py",
        "tests/test_a.py",
    ]
    assert codebase.modules == ("pkg", "pkg.mod", "top")
    pkg = codebase.module("pkg")
    assert pkg is not None and pkg.is_package and pkg.area is Area.SRC
    assert codebase.file("tests/test_a.py") is not None
    assert codebase.file("tests/test_a.py").area is Area.TESTS  # type: ignore[union-attr]
    assert codebase.file("tests/test_a.py").module is None  # type: ignore[union-attr]
    assert codebase.file("notebooks/n.ipynb").area is Area.NOTEBOOKS  # type: ignore[union-attr]
    assert codebase.parse_failures == ()


def test_scan_skips_the_kit_and_the_scripts_that_use_it(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "src/app.py": "",
            "scripts/shimkit/__init__.py": "",
            "scripts/shimkit/cli.py": "import nothing\n",
            "scripts/step1_inventory.py": "from shimkit.cli import main\nmain()\n",
            "scripts/consolidation_plan.py": "from shimkit.domain.plan import Plan\n",
            "scripts/migrate.py": "import consolidation_plan\n",
            "scripts/report.py": "import json\n",
        },
    )
    assert [f.path for f in scan(tmp_path).files] == ["scripts/report.py", "src/app.py"]


def test_text_is_kept_exactly_and_decoded_per_pep_263(tmp_path: Path) -> None:
    latin = "# -*- coding: latin-1 -*-\r\nNAME = 'caf\xe9'\r\n"
    write(
        tmp_path,
        {
            "src/crlf.py": "import os\r\n\r\nX = 1\r\n",
            "src/latin.py": latin.encode("latin-1"),
        },
    )
    codebase = scan(tmp_path)
    crlf = codebase.module("crlf")
    assert crlf is not None and crlf.text == "import os\r\n\r\nX = 1\r\n"
    latin_file = codebase.module("latin")
    assert latin_file is not None and latin_file.text == latin
    assert latin_file.encoding == "iso-8859-1"
    assert latin_file.tree is not None


def test_files_that_do_not_parse_are_reported_and_the_rest_analysed(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "src/ok.py": "X = 1\n",
            "src/broken.py": "x = 1\n\ndef f(:\n    pass\n",
            "src/bad_cookie.py": b"# -*- coding: no-such-codec -*-\nX = 1\n",
            "src/bad_bytes.py": b"X = 1\nY = '\xff\xfe'\n",
            "notebooks/broken.ipynb": "{not json",
        },
    )
    codebase = scan(tmp_path)
    failures = {f.path: f for f in codebase.parse_failures}
    assert set(failures) == {
        "src/broken.py",
        "src/bad_cookie.py",
        "src/bad_bytes.py",
        "notebooks/broken.ipynb",
    }
    assert failures["src/broken.py"].line == 3
    assert failures["src/bad_cookie.py"].line == 1
    assert failures["src/bad_bytes.py"].line == 2
    assert "decode" in failures["src/bad_bytes.py"].message
    broken = codebase.module("broken")
    assert broken is not None and broken.tree is None  # text kept, tree missing
    assert codebase.module("bad_bytes") is None  # undecodable: only a failure
    ok = codebase.module("ok")
    assert ok is not None and ok.tree is not None


def test_modern_syntax_that_fissix_cannot_parse_parses_here(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        "src/modern.py": (
            "def f(command):\n"
            "    match command:\n"
            "        case {'x': x, **rest}:\n"
            "            return x\n"
            "        case [first, *others]:\n"
            "            return first\n"
            "        case _:\n"
            "            return None\n"
            "\n"
            "try:\n"
            "    pass\n"
            "except* ValueError as group:\n"
            "    pass\n"
        ),
    }
    if sys.version_info >= (3, 12):
        files["src/typed.py"] = "type Pair[T] = tuple[T, T]\n\ndef first[T](p: Pair[T]) -> T: ...\n"
    write(tmp_path, files)
    codebase = scan(tmp_path)
    assert codebase.parse_failures == ()
    assert all(f.tree is not None for f in codebase.files)


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="PEP 695 parses on 3.12+")
def test_pep_695_on_an_older_python_is_a_parse_failure_not_a_crash(tmp_path: Path) -> None:
    write(tmp_path, {"src/typed.py": "type Pair = tuple[int, int]\n", "src/ok.py": ""})
    codebase = scan(tmp_path)
    assert [(f.path, f.line) for f in codebase.parse_failures] == [("src/typed.py", 1)]
    assert codebase.module("ok") is not None


def test_notebook_cells_with_magics_are_masked_and_parsed(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "notebooks/explore.ipynb": notebook(
                ("markdown", "# Title\n"),
                ("code", "%load_ext autoreload\n%autoreload 2\nimport os\n"),
                ("code", "!pip install x\nfiles = !ls\nos.path?\nx = 1\n"),
                ("code", "%%bash\necho hi\n"),
                ("code", "def f(:\n"),
            )
        },
    )
    codebase = scan(tmp_path)
    nb = codebase.file("notebooks/explore.ipynb")
    assert nb is not None and nb.tree is None and nb.module is None
    cells = {c.index: c for c in nb.cells}
    assert sorted(cells) == [1, 2, 3, 4]
    assert cells[1].source.startswith("%load_ext")
    assert cells[1].text.splitlines()[2] == "import os"
    assert cells[2].text.splitlines()[3] == "x = 1"
    for cell in (cells[1], cells[2]):
        assert cell.tree is not None and cell.skipped_magic is None
        assert "%" not in cell.text and "!" not in cell.text and "?" not in cell.text
        assert len(cell.text.splitlines()) == len(cell.source.splitlines())
    assert cells[3].tree is None and cells[3].skipped_magic == "bash"
    assert cells[4].tree is None and cells[4].skipped_magic is None
    assert codebase.skipped_cells == (SkippedCell("notebooks/explore.ipynb", 3, "bash"),)
    assert [(f.path, f.line) for f in codebase.parse_failures] == [("notebooks/explore.ipynb", 1)]
    assert codebase.parse_failures[0].message.startswith("cell 4: ")


def test_tracked_files_below_a_linked_folder_are_not_read_at_any_depth(tmp_path: Path) -> None:
    """Each folder is looked at once per scan, not once per file: a folder below a link is
    below it however many files were looked at before, in whatever order."""
    root = write(
        tmp_path / "repo",
        {
            "src/app/__init__.py": "",
            "src/app/real/a.py": "A = 1\n",
            "src/app/real/deep/b.py": "B = 1\n",
        },
    )
    elsewhere = write(tmp_path / "elsewhere", {"c.py": "C = 1\n", "deep/d.py": "D = 1\n"})
    (root / "src/app/linked").symlink_to(elsewhere, target_is_directory=True)
    tracked = (
        "src/app/linked/deep/d.py",  # the deeper one first: its folder's answer is remembered
        "src/app/linked/c.py",
        "src/app/real/deep/b.py",
        "src/app/__init__.py",
        "src/app/real/a.py",
    )
    codebase = scan(root, "src", tracked=tracked)
    assert [f.path for f in codebase.files] == [
        "src/app/__init__.py",
        "src/app/real/a.py",
        "src/app/real/deep/b.py",
    ]
