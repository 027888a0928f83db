"""Within a run, a file's references are found once per content: the tree, its working copy and
the tree after the change share the unchanged files, and what was found in one is used in the
next only where the tree still gives the answers the search was given."""

from __future__ import annotations

import shutil
from pathlib import Path

from shimkit.analysis import find_references, inventory_of, scan
from shimkit.analysis.parse_memo import file_memo, parsing_once
from shimkit.domain import shortcuts
from shimkit.domain.model import Reference

SHIM = "pkg.shim"
TREE = {
    "src/pkg/__init__.py": "",
    "src/pkg/core.py": "class Basic:\n    pass\n\n\ndef extra():\n    pass\n",
    "src/pkg/shim/__init__.py": "from pkg.core import Basic, extra\n",
    "src/pkg/user.py": (
        "from pkg.shim import Basic, extra\n"
        "import pkg.shim\n"
        "\n"
        "TARGET = 'pkg.shim.Basic'\n"
        "print(pkg.shim.extra, pkg.shim.Basic)\n"
    ),
    "tests/test_user.py": "def test_it():\n    from pkg.shim import Basic\n",
}


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def fresh(root: Path) -> tuple[Reference, ...]:
    """The references found outside any run: nothing remembered."""
    return find_references(scan(root, "src"), {SHIM})


def test_an_unchanged_file_is_searched_again_where_the_tree_answers_otherwise(
    tmp_path: Path,
) -> None:
    tree = write(tmp_path / "tree", TREE)
    copy = tmp_path / "copy"
    shutil.copytree(tree, copy)
    # in the copy ``extra`` becomes a submodule of the shim: ``from pkg.shim import extra``
    # no longer takes a name from it, though ``user.py`` reads the same
    write(copy, {"src/pkg/shim/extra.py": "def extra():\n    pass\n"})
    with parsing_once():
        in_tree = find_references(scan(tree, "src"), {SHIM})
        in_copy = find_references(scan(copy, "src"), {SHIM})
        again = find_references(scan(tree, "src"), {SHIM})
    assert in_tree == fresh(tree)
    assert in_copy == fresh(copy)
    assert again == in_tree
    names = {r.names for r in in_tree if r.path == "src/pkg/user.py" and r.line == 1}
    assert names == {("Basic", "extra")}
    names = {r.names for r in in_copy if r.path == "src/pkg/user.py" and r.line == 1}
    assert names == {("Basic",)}


def test_what_a_module_binds_is_part_of_the_question(tmp_path: Path) -> None:
    tree = write(tmp_path / "tree", TREE)
    copy = tmp_path / "copy"
    shutil.copytree(tree, copy)
    # the shim stops binding ``Basic``: the string ``'pkg.shim.Basic'`` no longer names it
    write(copy, {"src/pkg/shim/__init__.py": "from pkg.core import extra\n"})
    with parsing_once():
        find_references(scan(tree, "src"), {SHIM})
        in_copy = find_references(scan(copy, "src"), {SHIM})
    assert in_copy == fresh(copy)
    assert in_copy != fresh(tree)


def test_with_the_shortcuts_off_nothing_is_remembered(tmp_path: Path) -> None:
    tree = write(tmp_path / "tree", TREE)
    with shortcuts.switched_off(), parsing_once():
        first = find_references(scan(tree, "src"), {SHIM})
        assert file_memo("anything") is None
        assert find_references(scan(tree, "src"), {SHIM}) == first


def test_the_inventory_of_a_changed_copy_is_the_one_found_afresh(tmp_path: Path) -> None:
    tree = write(tmp_path / "tree", TREE)
    copy = tmp_path / "copy"
    shutil.copytree(tree, copy)
    # in the copy the shim passes on one name less, and an importer imports from the source
    user = "from pkg.core import Basic\nfrom pkg.shim import extra\n\nTARGET = 'pkg.core.Basic'\n"
    write(
        copy, {"src/pkg/user.py": user, "src/pkg/shim/__init__.py": "from pkg.core import extra\n"}
    )
    with parsing_once():
        inventories = [
            inventory_of(scan(root, "src"), also_referenced={SHIM}) for root in (tree, copy, tree)
        ]
    afresh = [
        inventory_of(scan(root, "src"), also_referenced={SHIM}) for root in (tree, copy, tree)
    ]
    assert inventories == afresh
    assert inventories[0] != inventories[1]
