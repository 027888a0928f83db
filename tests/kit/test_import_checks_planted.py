"""Planted import regressions: each is caught by the one-interpreter check (every module imported
once, in dependency order, and on its own only what that cannot vouch for), by the forked check
(children forked below the packages they share, several at once) and by one fresh interpreter per
module alike, with the same records. Real trees, real processes."""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

import pytest
from kit_helpers import write_tree
from shimkit.analysis import import_graph, scan
from shimkit.analysis.import_graph import ImportOrder
from shimkit.domain import shortcuts
from shimkit.verify import ImportMode, ModuleSmoke, SmokeOutcome, SmokeReport, smoke_modules


@pytest.fixture(autouse=True)
def _fixed_stops(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pass stops by its fixed yield and the tree (on: ``SHIMKIT_FORK_TREE=1``) runs to its
    end, whatever this machine's figures would decide (``SHIMKIT_FIXED_STOPS``): these trees are
    to exercise both."""
    monkeypatch.setenv("SHIMKIT_FIXED_STOPS", "1")
    monkeypatch.setenv("SHIMKIT_FORK_TREE", "1")


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
    # warns in a category of its own (a warning filter matches the class, not only the text)
    "src/app/core/deprecated_api.py": """\
        import warnings


        class RemovedSoon(DeprecationWarning):
            pass


        warnings.warn("app.core.deprecated_api is old", RemovedSoon)
        """,
    # a layer that warns (as it did before a change) and re-exports a name that is None: its
    # record must carry both, so that a known warning cannot hide the name lost
    "src/app/core/old_compat.py": """\
        import warnings
        from app.core.values import thing, other
        warnings.warn("app.core.old_compat is deprecated", DeprecationWarning)
        """,
    # a class attribute one module sets (or a class-level list it fills), another reads: the
    # class's module namespace holds the same class either way
    "src/app/klass/__init__.py": "",
    "src/app/klass/base.py": """\
        class K:
            ITEMS: list[int] = []

            class Inner:
                pass
        """,
    "src/app/klass/a_sets.py": "from app.klass.base import K\nK.attr = 1\n",
    "src/app/klass/reads.py": "from app.klass.base import K\nVALUE = K.attr\n",
    "src/app/klass/a_fills.py": "from app.klass.base import K\nK.ITEMS.append(1)\n",
    "src/app/klass/reads_items.py": "from app.klass.base import K\nVALUE = K.ITEMS[0]\n",
    "src/app/klass/a_nests.py": "from app.klass.base import K\nK.Inner.attr = 1\n",
    "src/app/klass/reads_inner.py": "from app.klass.base import K\nVALUE = K.Inner.attr\n",
}

NO_ATTR = "AttributeError: type object '{}' has no attribute 'attr'"

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
    "app.core.deprecated_api": (
        SmokeOutcome.DEPRECATION,
        "DeprecationWarning: app.core.deprecated_api is old",
    ),
    "app.core.old_compat": (
        SmokeOutcome.DEPRECATION,
        "DeprecationWarning: app.core.old_compat is deprecated",
    ),
    "app.core.reads_extra": (SmokeOutcome.OK, ""),
    "app.plugins": (SmokeOutcome.OK, ""),
    "app.klass.a_sets": (SmokeOutcome.OK, ""),
    "app.klass.reads": (SmokeOutcome.IMPORT_ERROR, NO_ATTR.format("K")),
    "app.klass.a_fills": (SmokeOutcome.OK, ""),
    "app.klass.reads_items": (SmokeOutcome.IMPORT_ERROR, "IndexError: list index out of range"),
    "app.klass.a_nests": (SmokeOutcome.OK, ""),
    "app.klass.reads_inner": (SmokeOutcome.IMPORT_ERROR, NO_ATTR.format("Inner")),
}


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tree(tmp_path_factory.mktemp("planted"), TREE)


# the names each layer must re-export
REEXPORTS = {"app.core.compat": ("thing", "other"), "app.core.old_compat": ("thing", "other")}

# modules a change touched: each result names those its import reached
CHANGED = ("app.core.extra", "app.core.cycle_b", "app.old", "app.gone")


def _check(
    root: Path, mode: ImportMode, jobs: int, order: ImportOrder | None = None
) -> SmokeReport:
    # the order puts each module that hides a regression after the one that would hide it
    return smoke_modules(
        root,
        "src",
        list(EXPECTED),
        REEXPORTS,
        jobs,
        mode=mode,
        changed=CHANGED,
        order=order,
    )


def _graph_order(root: Path) -> ImportOrder:
    return import_graph(scan(root)).import_order()


def _outcomes(report: SmokeReport) -> dict[str, tuple[SmokeOutcome, str]]:
    return {
        result.module: (result.outcome, result.message.replace(str(Path.cwd()), ""))
        for result in report.results
    }


def _comparable(result: ModuleSmoke) -> ModuleSmoke:
    return dataclasses.replace(result, seconds=0.0)


@pytest.mark.parametrize("jobs", [1, 3])
def test_every_planted_regression_is_caught_by_one_interpreter_forked_and_fresh_checks_alike(
    tree: Path, jobs: int
) -> None:
    shared = _check(tree, ImportMode.FORK, jobs, _graph_order(tree))
    forked = _check(tree, ImportMode.FORK, jobs)
    fresh = _check(tree, ImportMode.FRESH, jobs)
    assert not forked.notes and not shared.notes, (forked.notes, shared.notes)
    # the one interpreter vouched for some records; the warnings and the cycle's were imported
    # on their own
    assert 0 < shared.in_one_interpreter < len(EXPECTED)
    assert forked.in_one_interpreter == fresh.in_one_interpreter == 0
    for report in (shared, forked, fresh):
        relative = {k: (o, m.replace(f"{tree}/", "")) for k, (o, m) in _outcomes(report).items()}
        assert relative == EXPECTED
        categories = {r.module: {d.category for d in r.deprecations} for r in report.results}
        assert categories["app.core.warns"] == {"DeprecationWarning"}
        assert categories["app.core.deprecated_api"] == {"app.core.deprecated_api.RemovedSoon"}
        bad = {r.module: r.bad_names for r in report.results if r.bad_names}
        assert bad == {
            "app.core.compat": (("thing", "None"),),
            "app.core.old_compat": (("thing", "None"),),  # beside its warning
        }
    expected = [_comparable(r) for r in fresh.results]
    assert [_comparable(r) for r in forked.results] == expected
    assert [_comparable(r) for r in shared.results] == expected


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


# -- the one interpreter against a module each, whatever order it imports them in -------------

# state one module changes and another reads inside an object a module holds, where neither the
# holder's namespace nor a class it defines changes (each writer sorts before its reader)
OBJECT_STATE = {
    "src/app/obj/__init__.py": "",
    # a registry instance (its inner dict filled by a method) and a signal (its receivers)
    "src/app/obj/registry.py": """\
        class Registry:
            def __init__(self) -> None:
                self._items: dict[str, int] = {}

            def register(self, name: str, value: int) -> None:
                self._items[name] = value

            def get(self, name: str) -> int:
                return self._items[name]


        class Signal:
            def __init__(self) -> None:
                self.receivers: list[object] = []


        registry = Registry()
        ready = Signal()
        settings = Signal()
        """,
    "src/app/obj/a_registers.py": (
        "from app.obj.registry import registry\n"
        "registry.register('x', 1)\n"
    ),
    "src/app/obj/reads_registry.py": (
        "from app.obj.registry import registry\n"
        "VALUE = registry.get('x')\n"
    ),
    "src/app/obj/a_connects.py": (
        "from app.obj.registry import ready\n"
        "ready.receivers.append(print)\n"
    ),
    "src/app/obj/reads_receivers.py": (
        "from app.obj.registry import ready\n"
        "FIRST = ready.receivers[0]\n"
    ),
    "src/app/obj/a_configures.py": "from app.obj.registry import settings\nsettings.DEBUG = True\n",
    "src/app/obj/reads_settings.py": (
        "from app.obj.registry import settings\n"
        "DEBUG = settings.DEBUG\n"
    ),
    # a class made by another module's factory: its ``__module__`` names the factory's module
    "src/app/obj/factory.py": "def make_model(name: str) -> type:\n    return type(name, (), {})\n",
    "src/app/obj/models.py": (
        "from app.obj.factory import make_model\n"
        "Model = make_model('Model')\n"
    ),
    "src/app/obj/a_sets_model.py": "from app.obj.models import Model\nModel.attr = 1\n",
    "src/app/obj/reads_model.py": "from app.obj.models import Model\nVALUE = Model.attr\n",
    # a container inside a module-level container, and one changed at the same size
    "src/app/obj/tables.py": "TABLE: dict[str, list[int]] = {'x': []}\nCONFIG = {'debug': False}\n",
    "src/app/obj/a_fills_table.py": "from app.obj.tables import TABLE\nTABLE['x'].append(1)\n",
    "src/app/obj/reads_table.py": "from app.obj.tables import TABLE\nVALUE = TABLE['x'][0]\n",
    "src/app/obj/a_sets_config.py": "from app.obj.tables import CONFIG\nCONFIG['debug'] = True\n",
    "src/app/obj/reads_config.py": """\
        from app.obj.tables import CONFIG

        if not CONFIG['debug']:
            raise RuntimeError('app.obj.reads_config: not configured')
        """,
    # more objects than the pass watches in one module: the list it looks at last is filled
    "src/app/obj/big.py": "BIG: list[list[int]] = [[] for _ in range(30_000)]\n",
    "src/app/obj/a_fills_big.py": "from app.obj.big import BIG\nBIG[0].append(1)\n",
    "src/app/obj/reads_big.py": "from app.obj.big import BIG\nVALUE = BIG[0][0]\n",
}

OBJECT_READERS = (
    "app.obj.reads_registry",
    "app.obj.reads_receivers",
    "app.obj.reads_settings",
    "app.obj.reads_model",
    "app.obj.reads_table",
    "app.obj.reads_config",
    "app.obj.reads_big",
)

# what one interpreter shares between modules, each a way for a module to import there and not
# on its own (or the other way round)
SHARED_STATE = {
    **TREE,
    # imports app.core.extra before app.core.alone, which uses it without importing it
    "src/app/core/aardvark.py": "import app.core.extra\n",
    # imports a module past the import statement (and its hook): alone it gets the attribute
    "src/app/core/zz_bootstrap.py": """\
        import importlib._bootstrap
        import app.core
        importlib._bootstrap._gcd_import("app.core.extra")
        VALUE = app.core.extra.VALUE
        """,
    # an attribute one module sets on a package, another uses (each name sorts the module that
    # would hide a regression first)
    "src/app/reg/__init__.py": "",
    "src/app/reg/a_owner.py": "import app.reg\napp.reg.registry = {}\n",
    "src/app/reg/needs.py": "import app.reg\napp.reg.registry['b'] = 1\n",
    # a module-level registry one module fills in, another reads
    "src/app/fills.py": "from app.core import registry\nregistry.ITEMS['x'] = 1\n",
    "src/app/reads.py": "from app.core.registry import ITEMS\nVALUE = ITEMS['x']\n",
    # process state one module changes, another needs
    "src/app/env/__init__.py": "",
    "src/app/env/a_pollutes.py": "import os\nos.environ['SHIMKIT_PLANTED'] = '1'\n",
    "src/app/env/needs.py": "import os\nVALUE = os.environ['SHIMKIT_PLANTED']\n",
    "src/app/env/a_moves.py": "import os\nos.chdir(os.path.dirname(__file__))\n",
    # the environment's mapping replaced by a plain dict of the same variables: a module that
    # uses the mapping's own methods fails after it only
    "src/app/env/a_replaces.py": "import os\nos.environ = dict(os.environ)\n",
    "src/app/env/needs_mapping.py": "import os\nVALUE = os.environ.encodekey('PATH')\n",
    "src/app/env/opens_relative.py": "open('src/app/__init__.py').close()\n",
    # imports a module that warns: it warns on its own too
    "src/app/uses_warns.py": "from app.core import warns\n",
    "src/app/uses_old_deep.py": "from app.old.deep import leaf\n",
    # a failure midway, after it filled a registry another module reads
    "src/app/half.py": """\
        from app.core import registry
        registry.ITEMS["half"] = 1
        raise ValueError("half")
        """,
    "src/app/reads_half.py": "from app.core.registry import ITEMS\nVALUE = ITEMS['half']\n",
    # a package that fills a registry, imported first by a module below it: the top import
    # that wrote is not the module that did
    "src/app/plug/__init__.py": "from app.core import registry\nregistry.ITEMS['plug'] = 1\n",
    "src/app/plug/use.py": "VALUE = 1\n",
    "src/app/reads_plug.py": "from app.core.registry import ITEMS\nVALUE = ITEMS['plug']\n",
    # imports one module of a cycle: which one a fresh import enters first decides
    "src/app/enters_cycle.py": "from app.core import cycle_a\n",
    # a package importing its own modules, one of which imports the package back: a settled cycle
    "src/app/settled/__init__.py": "from app.settled import inner\nNAME = 'settled'\n",
    "src/app/settled/inner.py": "import app.settled\n\nNAMED = lambda: app.settled.NAME\n",
    **OBJECT_STATE,
}


@pytest.fixture(scope="module")
def shared_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tree(tmp_path_factory.mktemp("shared"), SHARED_STATE)


def _orders(graph: ImportOrder) -> dict[str, ImportOrder]:
    modules = list(graph.modules)
    shuffled = {
        f"shuffled {seed}": ImportOrder(
            tuple(random.Random(seed).sample(modules, len(modules))), graph.edges
        )
        for seed in range(2)
    }
    return {
        "dependency order": graph,
        "reversed": ImportOrder(tuple(reversed(modules)), graph.edges),
        **shuffled,
    }


def _check_every_module(tree: Path, order: ImportOrder | None) -> SmokeReport:
    return smoke_modules(
        tree,
        "src",
        sorted(_graph_order(tree).modules),
        REEXPORTS,
        2,
        changed=CHANGED,
        order=order,
    )


def test_the_one_interpreter_gives_every_module_its_own_record_whatever_the_order(
    shared_tree: Path,
) -> None:
    graph = _graph_order(shared_tree)

    def check(order: ImportOrder | None) -> SmokeReport:
        return _check_every_module(shared_tree, order)

    alone = check(None)
    assert alone.in_one_interpreter == 0
    outcomes = {r.module: r.outcome for r in alone.results}
    assert outcomes["app.reg.needs"] is SmokeOutcome.IMPORT_ERROR
    assert outcomes["app.reads"] is outcomes["app.reads_half"] is SmokeOutcome.IMPORT_ERROR
    assert outcomes["app.env.needs"] is SmokeOutcome.IMPORT_ERROR
    assert outcomes["app.env.needs_mapping"] is SmokeOutcome.OK
    assert outcomes["app.env.opens_relative"] is SmokeOutcome.OK
    assert outcomes["app.uses_warns"] is SmokeOutcome.DEPRECATION
    assert outcomes["app.settled.inner"] is outcomes["app.core.zz_bootstrap"] is SmokeOutcome.OK
    klass = ("app.klass.reads", "app.klass.reads_items", "app.klass.reads_inner")
    assert {outcomes[name] for name in klass} == {SmokeOutcome.IMPORT_ERROR}
    assert {outcomes[name] for name in OBJECT_READERS} == {SmokeOutcome.IMPORT_ERROR}
    expected = [_comparable(r) for r in alone.results]
    for name, order in _orders(graph).items():
        shared = check(order)
        assert shared.in_one_interpreter > 0, name
        assert [_comparable(r) for r in shared.results] == expected, name


def test_no_shortcuts_imports_every_module_on_its_own(tree: Path) -> None:
    with shortcuts.switched_off():
        report = _check(tree, ImportMode.FORK, 2, _graph_order(tree))
    assert report.in_one_interpreter == 0
    relative = {k: (o, m.replace(f"{tree}/", "")) for k, (o, m) in _outcomes(report).items()}
    assert relative == EXPECTED


def test_modules_imported_for_context_only_give_no_record_and_leave_the_others_exact(
    shared_tree: Path,
) -> None:
    """As the check with a change undone does: the modules that failed or warned, with every
    module of the whole check imported beside them in one interpreter."""
    graph = _graph_order(shared_tree)
    modules = sorted(graph.modules)
    alone = smoke_modules(shared_tree, "src", modules, REEXPORTS, 2)
    suspects = [r.module for r in alone.results if not r.ok]
    expected = [_comparable(r) for r in alone.results if not r.ok]
    for name, order in _orders(graph).items():
        shared = smoke_modules(
            shared_tree,
            "src",
            suspects,
            REEXPORTS,
            2,
            order=order,
            context=modules,
        )
        assert [_comparable(r) for r in shared.results] == expected, name
        assert 0 < shared.in_one_interpreter <= len(suspects), name


def test_a_pass_of_their_own_vouches_for_what_another_import_or_a_cycle_ruled_out(
    shared_tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """app.reads imports fine after app.fills filled the registry, and fails alone: the first
    pass cannot vouch for it, a pass over what that one left (in a fresh process, without
    app.fills) can, with the record it has alone; so for a module that reaches an import cycle
    by another module than the first pass entered it by. More records vouched for, the same
    records."""
    graph = _graph_order(shared_tree)

    def check(order: ImportOrder | None, passes: str) -> SmokeReport:
        monkeypatch.setenv("SHIMKIT_SHARED_PASSES", passes)
        return _check_every_module(shared_tree, order)

    expected = [_comparable(r) for r in check(None, "1").results]
    once, again = check(graph, "1"), check(graph, "4")
    assert [_comparable(r) for r in once.results] == expected
    assert [_comparable(r) for r in again.results] == expected
    assert again.in_one_interpreter > once.in_one_interpreter


def test_objects_no_other_import_changed_are_vouched_for(tmp_path: Path) -> None:
    """The holders and readers of ``OBJECT_STATE`` without the modules that write: every record
    is vouched for in one interpreter, in every order (the watching refuses only what another
    import changed), and each is the record it has alone."""
    files = {path: text for path, text in OBJECT_STATE.items() if "/a_" not in path}
    tree = write_tree(tmp_path, {"src/app/__init__.py": "", **files})
    graph = _graph_order(tree)
    modules = sorted(graph.modules)

    def check(order: ImportOrder | None) -> SmokeReport:
        changed = ("app.obj.registry",)
        return smoke_modules(tree, "src", modules, {}, 2, changed=changed, order=order)

    expected = [_comparable(r) for r in check(None).results]
    for name, order in _orders(graph).items():
        shared = check(order)
        assert shared.in_one_interpreter == len(modules), name
        assert [_comparable(r) for r in shared.results] == expected, name
