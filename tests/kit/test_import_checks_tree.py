"""The fork tree by shared closure (``verify/smoke_tree.py``): the records it vouches for are the
ones each module gets alone. Each planted case is one a weaker rule gets wrong in the tree: a
module statically imported that a leaf's import never runs, a submodule used before its import
while a node imported it, an import cycle a node enters by another module than the leaf's import
does, a shared module that fails half-way, one that warns. Real trees, real processes."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from kit_helpers import write_tree
from shimkit.analysis import import_graph, scan
from shimkit.domain import shortcuts
from shimkit.verify import ModuleSmoke, SmokeOutcome, SmokeReport, smoke_modules


@pytest.fixture(autouse=True)
def _fixed_stops(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pass stops by its fixed yield and the tree (on: ``SHIMKIT_FORK_TREE=1``) runs to its
    end, whatever this machine's figures would decide (``SHIMKIT_FIXED_STOPS``): these trees are
    to exercise both."""
    monkeypatch.setenv("SHIMKIT_FIXED_STOPS", "1")
    monkeypatch.setenv("SHIMKIT_FORK_TREE", "1")


# ``app.a_writer`` is checked and sorts first: the one-interpreter pass imports it before the
# others and, as it fills ``app.reg.ITEMS`` (outside their closure), vouches for none of them
# (``SHIMKIT_SHARED_PASSES=1``): they go to the tree. The modules the cases share are not
# checked, so the pass knows nothing bad of them and only the tree's own rules keep them apart.
TREE = {
    "src/app/__init__.py": "",
    "src/app/reg.py": "ITEMS: list[str] = []\n",
    "src/app/a_writer.py": "import app.reg\napp.reg.ITEMS.append('writer')\n",
    # imported by the static graph, never run: a node that imported it changed the registry
    "src/app/ghost.py": "import app.reg\napp.reg.ITEMS.append('ghost')\n",
    **{
        f"src/app/haunted_{n}.py": """\
            import app.reg
            if False:
                import app.ghost
            if 'ghost' in app.reg.ITEMS:
                raise ImportError('a module its import never runs ran first')
            """
        for n in (1, 2)
    },
    # uses a submodule before importing it: alone the package does not hold it yet
    "src/app/pkg/__init__.py": "",
    "src/app/pkg/sub.py": "X = 1\n",
    **{
        f"src/app/early_{n}.py": """\
            import app.pkg
            import app.reg
            try:
                app.pkg.sub
            except AttributeError:
                pass
            else:
                raise ImportError('app.pkg.sub was there before its import')
            import app.pkg.sub
            """
        for n in (1, 2, 3)
    },
    # a cycle: entered by ``two`` (as these modules enter it), ``one`` is whole when ``two``
    # looks; entered by ``one`` (the first the static graph lists), it is not
    "src/app/cyc/__init__.py": "",
    "src/app/cyc/one.py": "from app.cyc import two\nVALUE = 1\n",
    "src/app/cyc/two.py": "from app.cyc import one\nSEEN = hasattr(one, 'VALUE')\n",
    **{
        f"src/app/by_two_{n}.py": """\
            from app.cyc import two
            from app.cyc.one import VALUE
            import app.reg
            if not two.SEEN:
                raise ImportError('entered the cycle by app.cyc.one')
            """
        for n in (1, 2)
    },
    # fails half-way, after it wrote: imported again, it writes again
    "src/app/half.py": """\
        import app.reg
        app.reg.ITEMS.append('half')
        raise RuntimeError('app.half cannot start')
        """,
    **{
        f"src/app/after_half_{n}.py": """\
            import app.reg
            try:
                import app.half
            except RuntimeError:
                pass
            if app.reg.ITEMS.count('half') != 1:
                raise ImportError('app.half ran twice')
            """
        for n in (1, 2)
    },
    # a shared module that warns: a fresh import of each module below holds the warning
    "src/app/old.py": "import warnings\nwarnings.warn('app.old is old', DeprecationWarning)\n",
    **{f"src/app/uses_old_{n}.py": "import app.reg\nimport app.old\n" for n in (1, 2)},
    # nothing to hide: what the tree vouches for
    **{f"src/app/plain_{n}.py": "import app.reg\nimport app.pkg.sub\n" for n in (1, 2, 3)},
}

# what the cases share: not checked
SHARED = {"app", "app.reg", "app.ghost", "app.pkg", "app.pkg.sub", "app.half", "app.old"}
SHARED |= {"app.cyc", "app.cyc.one", "app.cyc.two"}
CHECKED = sorted(
    {path.removeprefix("src/").removesuffix(".py").replace("/", ".") for path in TREE}
    - {f"{name}.__init__" for name in SHARED}
    - SHARED
)


def _comparable(result: ModuleSmoke) -> ModuleSmoke:
    return dataclasses.replace(result, seconds=0.0)


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tree(tmp_path_factory.mktemp("tree"), TREE)


def _check(root: Path, fork_tree: bool, monkeypatch: pytest.MonkeyPatch) -> SmokeReport:
    monkeypatch.setenv("SHIMKIT_SHARED_PASSES", "1")
    monkeypatch.setenv("SHIMKIT_FORK_TREE", "1" if fork_tree else "0")
    order = import_graph(scan(root)).import_order()
    return smoke_modules(root, "src", CHECKED, {}, 2, order=order, changed=("app.reg",))


def test_the_tree_gives_each_module_the_record_it_has_alone(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    alone = smoke_modules(tree, "src", CHECKED, {}, 2, changed=("app.reg",))
    outcomes = {r.module: r.outcome for r in alone.results}
    assert {m for m, o in outcomes.items() if o is not SmokeOutcome.OK} == {
        "app.uses_old_1",
        "app.uses_old_2",
    }
    assert {o for m, o in outcomes.items() if "uses_old" in m} == {SmokeOutcome.DEPRECATION}
    expected = [_comparable(r) for r in alone.results]
    passed = _check(tree, False, monkeypatch)
    grown = _check(tree, True, monkeypatch)
    assert [_comparable(r) for r in passed.results] == expected
    assert [_comparable(r) for r in grown.results] == expected
    # the pass vouched for the writer alone; the tree for the plain modules at least
    assert passed.in_one_interpreter == 1
    assert grown.in_one_interpreter >= passed.in_one_interpreter + 3


def test_no_shortcuts_turns_the_tree_off(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with shortcuts.switched_off():
        report = _check(tree, True, monkeypatch)
    assert report.in_one_interpreter == 0
