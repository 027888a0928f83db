"""Within a run, the import graph of a tree read again keeps the edges of each file read with the
same content, when the tree answers what those edges were found with as it did: on the suite's
trees, and on the changes that make an unchanged file's edges differ (a module deleted or added
beside it, a file added next to a test), the graph is exactly the one built from nothing."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from kit_helpers import build_legacy_repo, build_traps_repo, write_tree
from shimkit.analysis import import_graph, scan
from shimkit.analysis.import_graph import FileImports
from shimkit.analysis.parse_memo import parsing_once
from shimkit.domain import shortcuts

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"


def edges(root: Path) -> dict[str, FileImports]:
    return dict(import_graph(scan(root, "src")).files)


def edges_from_nothing(root: Path) -> dict[str, FileImports]:
    with shortcuts.switched_off():
        return edges(root)


def edges_read_again(root: Path, change: Callable[[Path], object]) -> dict[str, FileImports]:
    """The graph of ``root`` after ``change``, in a run that built it before the change."""
    with parsing_once():
        edges(root)
        change(root)
        return edges(root)


def corpus_tree(name: str, tmp_path: Path) -> Path:
    if name == "legacy":
        return build_legacy_repo(tmp_path / name)
    if name == "traps":
        return build_traps_repo(tmp_path / name)
    return Path(shutil.copytree(FIXTURES / name, tmp_path / name))


def _delete_every_other_module(root: Path) -> None:
    """Half the modules go (every other module file of ``src``, packages' ``__init__`` kept):
    the files importing them keep their text, and their edges become candidates."""
    modules = sorted(p for p in (root / "src").rglob("*.py") if p.name != "__init__.py")
    for path in modules[::2]:
        path.unlink()


@pytest.mark.parametrize(
    "name", ["legacy", "second", "deprecated_layers", "deprecated_layers_computed", "traps"]
)
def test_the_graph_read_again_is_the_graph_from_nothing(tmp_path: Path, name: str) -> None:
    root = corpus_tree(name, tmp_path)
    again = edges_read_again(root, _delete_every_other_module)
    assert again == edges_from_nothing(root)


TREE = {
    "src/pkg/__init__.py": "",
    "src/pkg/core.py": "VALUE = 1\n",
    "src/pkg/old.py": "from pkg.core import VALUE\n",
    "src/pkg/user.py": "from pkg import old, new\n",
    "tests/test_user.py": "import helpers\nimport pkg.user\n",
}


@pytest.mark.parametrize(
    "change",
    [
        lambda root: (root / "src/pkg/old.py").unlink(),  # an edge becomes a candidate
        lambda root: write_tree(root, {"src/pkg/new.py": "X = 1\n"}),  # a candidate an edge
        lambda root: write_tree(root, {"tests/helpers.py": "Y = 2\n"}),  # a local file
        lambda root: write_tree(root, {"src/helpers/__init__.py": ""}),  # a top package
    ],
    ids=["module deleted", "module added", "file added beside a test", "top package added"],
)
def test_an_unchanged_file_whose_tree_answers_otherwise_gets_new_edges(
    tmp_path: Path, change: Callable[[Path], object]
) -> None:
    root = write_tree(tmp_path, TREE)
    before = edges(root)
    again = edges_read_again(root, change)
    assert again == edges_from_nothing(root)
    assert again["src/pkg/user.py"] != before["src/pkg/user.py"] or (
        again["tests/test_user.py"] != before["tests/test_user.py"]
    ), "the change reaches the edges of a file whose text it left alone"
