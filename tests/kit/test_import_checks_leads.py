"""Isolated imports whose opening import statement runs once for every module that opens with it
(``verify/smoke_leads.py``): each record must be what a fresh interpreter gives the module alone,
as with the shortcut off. Real trees, real processes; the planted cases each break a weaker rule
(no check that the statement left the module alone, no check of what a passed-over statement
binds, failures placed at the wrong line)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from kit_helpers import write_tree
from shimkit.domain import shortcuts
from shimkit.verify import ImportMode, ModuleSmoke, SmokeReport, smoke_leads, smoke_modules


def _logged(log: str, body: str) -> str:
    """A module body that notes in ``log`` each time it runs (once per process importing it)."""
    return f'with open("{log}", "a") as log:\n    log.write("ran\\n")\n{body}\n'


FILES = {
    "src/app/__init__.py": "flag = 1\n",
    # runs once per process that imports it: the log shows how many processes did
    "src/app/heavy.py": _logged("heavy.log", "value = 41"),
    "src/app/broken.py": "value = 1\nraise RuntimeError('settings are not configured')\n",
    # asks for a module that opens with an import of it: run first elsewhere, it fails half-way
    "src/app/hub.py": "import app.cyclic\nthing = 1\n",
    "src/app/cyclic.py": "from app.hub import thing\n\nresult = thing + 1\n",
    "src/app/also_hub.py": "from app.hub import thing\n",
    # changes what an earlier statement of its importers bound
    "src/app/mutator.py": "import app\n\napp.flag = 2\n",
    "src/app/warner.py": "import warnings\n\nwarnings.warn('warner is old', DeprecationWarning)\n",
    # a namespace package and an empty one: they run no code, so they are imported after
    "src/plain/sub/__init__.py": "",
    "src/plain/sub/one.py": '"""One."""\nfrom __future__ import annotations\n\n'
    "from app.heavy import value\n\nONE = value + 1\n",
    "src/plain/sub/two.py": "from app.heavy import value\nimport app.warner\n\nTWO = value\n",
    "src/plain/three.py": "from app.heavy import value\nimport app.warner\n\nTHREE = value\n",
    "src/plain/fails.py": "from app.broken import value\n",
    "src/plain/fails_too.py": "import os\nfrom app.broken import value\n",
    "src/plain/missing.py": "from app.not_there import (\n    value,\n)\n",
    "src/plain/missing_too.py": "import os\n\nfrom app.not_there import value\n",
    "src/plain/no_name.py": "from app.heavy import not_a_name\n",
    "src/plain/bound_before.py": "from app import flag\nfrom app.mutator import app\n\n"
    "assert flag == 1, flag\n",
    "src/plain/bound_too.py": "from app import flag\nfrom app.mutator import app\n\nFLAG = flag\n",
    "src/app/cyclic_user.py": "from app.hub import thing\n",
    # statements that import the same module and take other names: a submodule the package's
    # own import left unloaded, a name only the module's ``__getattr__`` gives (it warns)
    "src/app/sub.py": "SUB = 1\n",
    "src/plain/takes_sub.py": "from app import sub\n\nX = sub.SUB\n",
    "src/app/lazy.py": "import warnings\n\nEAGER = 1\n\n\ndef __getattr__(name):\n"
    "    warnings.warn(f'{name} is old', DeprecationWarning)\n"
    "    if name == 'late':\n        return 2\n    raise AttributeError(name)\n",
    "src/plain/lazy_eager.py": "from app.lazy import EAGER\n",
    "src/plain/lazy_late.py": "from app.lazy import late\n",
    "src/plain/lazy_none.py": "import app.lazy\nfrom app.lazy import nothing\n",
    # a statement that imports a sibling, so loading the silent packages of the modules that
    # open with it: they are loaded where these modules' own imports find them
    "src/plain/sub/helper.py": _logged("helper.log", "HELP = 1"),
    "src/plain/sub/helped.py": "from plain.sub.helper import HELP\n\nA = HELP\n",
    "src/plain/sub/helped_too.py": "from .helper import HELP\nimport plain.sub\n\nB = HELP\n",
    # a statement that loads the modules' silent packages from elsewhere (a folder it puts first
    # on sys.path): a fresh import has them from src, where shadow.sub.other is not
    "src/app/shifter.py": "import os\nimport sys\n\nsys.path.insert(0, os.path.abspath('alt'))\n"
    "import shadow.sub.other\n\nX = 1\n",
    "alt/shadow/sub/__init__.py": "",
    "alt/shadow/sub/other.py": "OTHER = 1\n",
    "src/shadow/sub/__init__.py": "",
    "src/shadow/sub/first.py": "from app.shifter import X\n",
    "src/shadow/sub/second.py": "from app.shifter import X\n",
    # a namespace package below another: its path is computed from its parent's, not loaded yet
    "src/outer/inner/four.py": "from app.heavy import value\n",
    "src/outer/inner/five.py": "from app.heavy import value\n",
}

MODULES = [
    "plain.sub.one",
    "plain.sub.two",
    "plain.three",
    "plain.fails",
    "plain.fails_too",
    "plain.missing",
    "plain.missing_too",
    "plain.no_name",
    "plain.bound_before",
    "plain.bound_too",
    "plain.takes_sub",
    "plain.lazy_eager",
    "plain.lazy_late",
    "plain.lazy_none",
    "plain.sub.helped",
    "plain.sub.helped_too",
    "shadow.sub.first",
    "shadow.sub.second",
    "app.cyclic",
    "app.cyclic_user",
    "app.also_hub",
    "outer.inner.four",
    "outer.inner.five",
]


def _smoke(
    root: Path,
    mode: ImportMode,
    modules: list[str] = MODULES,
    logs: tuple[str, ...] = ("heavy.log", "helper.log"),
) -> SmokeReport:
    """The records of ``modules``, with the ``logs`` their imports write emptied first."""
    for log in logs:
        (root / log).write_text("")
    return smoke_modules(root, "src", modules, jobs=2, timeout=60.0, mode=mode)


def _records(report: SmokeReport) -> dict[str, tuple[object, ...]]:
    def fields(r: ModuleSmoke) -> tuple[object, ...]:
        return (r.outcome, r.message, r.path, r.line, r.deprecations, r.bad_names)

    return {r.module: fields(r) for r in report.results}


def _messages(fields: tuple[object, ...]) -> list[str]:
    deprecations = fields[4]
    assert isinstance(deprecations, tuple)
    return [record.message for record in deprecations]


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tree(tmp_path_factory.mktemp("leads"), FILES)


@pytest.fixture(scope="module")
def fresh(tree: Path) -> dict[str, tuple[object, ...]]:
    return _records(_smoke(tree, ImportMode.FRESH))


def test_shared_opening_imports_give_what_fresh_interpreters_give(
    tree: Path, fresh: dict[str, tuple[object, ...]]
) -> None:
    report = _smoke(tree, ImportMode.FORK)
    ran = len((tree / "heavy.log").read_text().splitlines())
    assert not report.notes  # the fork server served them all
    assert _records(report) == fresh
    # one, two and three open with ``from app.heavy import value``: it ran once, in the process
    # they share; four and five share another below outer.inner (a namespace package inside one
    # is imported, not looked up); no_name asks for another name of the same module: the
    # module is imported once for the four of them, the names are taken in their own imports
    assert ran == 2, ran
    # helped and helped_too open with an import of a sibling in plain.sub: it ran once for both
    assert len((tree / "helper.log").read_text().splitlines()) == 1


def test_without_shortcuts_each_module_imports_its_opening_statements_itself(
    tree: Path, fresh: dict[str, tuple[object, ...]]
) -> None:
    with shortcuts.switched_off():
        plain = _records(_smoke(tree, ImportMode.FORK))
    assert plain == fresh
    assert len((tree / "heavy.log").read_text().splitlines()) == 6


def test_the_planted_cases_are_what_they_claim(fresh: dict[str, tuple[object, ...]]) -> None:
    """The records the shared path must reproduce: a failure below the statement, one at it (a
    multi-line statement, and one after a statement passed over), a warning of the statement, a
    module the statement's import would ask for, a name an earlier statement bound."""
    fails = fresh["plain.fails"]
    assert fails[1:4] == ("RuntimeError: settings are not configured", "src/app/broken.py", 2)
    assert fresh["plain.fails_too"][1:4] == fails[1:4]
    assert fresh["plain.missing"][1:4] == (
        "ModuleNotFoundError: No module named 'app.not_there'",
        "src/plain/missing.py",
        1,
    )
    assert fresh["plain.missing_too"][2:4] == ("src/plain/missing_too.py", 3)
    assert "cannot import name 'not_a_name'" in str(fresh["plain.no_name"][1])
    assert fresh["plain.three"][4] and fresh["plain.three"][4] == fresh["plain.sub.two"][4]
    assert fresh["app.cyclic"][1] == ""  # alone, it imports: the hub finds it half-made
    assert "partially initialized" in str(fresh["app.cyclic_user"][1])
    assert fresh["plain.bound_before"][1] == ""
    assert fresh["plain.takes_sub"][1] == ""  # the package's import did not load it: its own did
    # ``from m import n`` asks a module that is not a package for ``__path__`` first
    assert _messages(fresh["plain.lazy_eager"]) == ["__path__ is old"]
    assert _messages(fresh["plain.lazy_late"]) == ["__path__ is old", "late is old"]
    assert "cannot import name 'nothing'" in str(fresh["plain.lazy_none"][1])
    assert fresh["shadow.sub.first"][1] == "ModuleNotFoundError: No module named 'shadow.sub.other'"


# -- deep leads: the statement a fresh import runs first inside the bodies it begins --------------


def _appends(name: str) -> str:
    """A module body that notes, in the order imports ran, that it ran."""
    return f"import builtins\n\nbuiltins.ORDER = [*getattr(builtins, 'ORDER', []), {name!r}]\n"


DEEP = {
    "src/deep/__init__.py": "",
    # two modules that open with different statements, whose bodies open with the same one
    "src/deep/a.py": "from deep.heavy import H\n\nA = H\n",
    "src/deep/b.py": "from deep.heavy import H\n\nB = H\n",
    "src/deep/heavy.py": _logged("deep.log", "H = 1"),
    "src/users/__init__.py": "import state\n",
    "src/users/one.py": "from deep.a import A\n",
    "src/users/two.py": "from deep.b import B\n",
    # a deep statement whose import asks for a module half-made in the fresh import (the body
    # that holds it): fresh, it finds ``mid`` partially initialized
    "src/cyc/__init__.py": "",
    "src/cyc/mid.py": "from cyc.deep import Y\n\nX = Y\n",
    "src/cyc/deep.py": "from cyc.mid import X\n\nY = 1\n",
    "src/cycusers/c1.py": "from cyc.mid import X\n",
    "src/cycusers/c2.py": "from cyc.mid import X as Z\n",
    # a body of the chain that passed over a statement, rebound by the deep statement after it
    "src/state.py": "flag = 1\n",
    "src/reb/__init__.py": "",
    "src/reb/mutator.py": "import state\n\nstate.flag = 2\n",
    "src/reb/mid.py": "from state import flag\nimport reb.mutator\n\n"
    "if flag != 1:\n    raise RuntimeError(f'flag is {flag}')\nX = flag\n",
    "src/users/r1.py": "from reb.mid import X\n",
    "src/users/r2.py": "from reb.mid import X as Y\n",
    # a star import whose ``__all__`` names a submodule its package's import left unloaded: a
    # fresh import imports it at the star, before the next statement
    "src/starred/__init__.py": "__all__ = ['sub', 'V']\nV = 1\n",
    "src/starred/sub.py": _appends("sub"),
    "src/later/__init__.py": "",
    "src/later/heavy.py": _appends("heavy"),
    "src/stars/s1.py": "from starred import *\nfrom later.heavy import builtins\n\n"
    "if builtins.ORDER != ['sub', 'heavy']:\n    raise RuntimeError(str(builtins.ORDER))\n",
    # (another name of the same package: the process they share imports the package alone)
    "src/stars/s2.py": "from starred import V\nfrom later.heavy import builtins\n",
    # a deep statement that fails with no project frame below it: a fresh import places the
    # failure in the body that holds it
    "src/failing/__init__.py": "",
    "src/failing/mid.py": '"""Mid."""\nimport os\nfrom failing.missing import Y\n',
    "src/failers/f1.py": "from failing.mid import Y\n",
    "src/failers/f2.py": "import os\nfrom failing.mid import Y as Z\n",
}

DEEP_MODULES = [
    "users.one",
    "users.two",
    "cycusers.c1",
    "cycusers.c2",
    "users.r1",
    "users.r2",
    "stars.s1",
    "stars.s2",
    "failers.f1",
    "failers.f2",
]


def _smoke_deep(root: Path, mode: ImportMode) -> SmokeReport:
    return _smoke(root, mode, DEEP_MODULES, ("deep.log",))


Planted = tuple[Path, dict[str, tuple[object, ...]]]  # a tree, and what fresh imports give


def _planted(
    factory: pytest.TempPathFactory, files: dict[str, str], smoke: Callable[..., SmokeReport]
) -> Planted:
    root = write_tree(factory.mktemp("planted"), files)
    return root, _records(smoke(root, ImportMode.FRESH))


def _forked_as_fresh(planted: Planted, smoke: Callable[..., SmokeReport]) -> Path:
    """The planted tree, once its forked records were found to be the fresh ones."""
    root, fresh = planted
    report = smoke(root, ImportMode.FORK)
    assert not report.notes and _records(report) == fresh
    return root


@pytest.fixture(scope="module")
def deep(tmp_path_factory: pytest.TempPathFactory) -> Planted:
    return _planted(tmp_path_factory, DEEP, _smoke_deep)


def test_modules_share_the_deepest_statement_their_fresh_imports_run_first(deep: Planted) -> None:
    root = _forked_as_fresh(deep, _smoke_deep)
    # one and two open with different statements; deep.a and deep.b, which those begin, open
    # with the same one: it ran once, for both
    assert len((root / "deep.log").read_text().splitlines()) == 1


def test_the_deep_planted_cases_are_what_they_claim(deep: Planted) -> None:
    deep_fresh = deep[1]
    assert deep_fresh["users.one"][1] == deep_fresh["users.two"][1] == ""
    assert "partially initialized module 'cyc.mid'" in str(deep_fresh["cycusers.c1"][1])
    assert deep_fresh["users.r1"][1] == deep_fresh["users.r2"][1] == ""
    assert deep_fresh["stars.s1"][1] == ""
    assert deep_fresh["failers.f1"][1:4] == (
        "ModuleNotFoundError: No module named 'failing.missing'",
        "src/failing/mid.py",
        3,
    )
    assert deep_fresh["failers.f2"][1:4] == deep_fresh["failers.f1"][1:4]


# -- first steps: statements that begin with the same module load share it -----------------------

STEPS = {
    # a package that runs code, reached by statements that import through it or take from it
    "src/hub/__init__.py": _logged("hub.log", "HUB = 1"),
    "src/hub/one.py": _logged("one.log", "ONE = 1"),
    "src/hub/two.py": "TWO = 2\n",
    "src/steps/s1.py": "import hub.one\n",
    "src/steps/s2.py": "from hub.two import TWO\n",
    "src/steps/s3.py": "from hub import one\n\nX = one.ONE\n",
    "src/steps/s4.py": "from hub import HUB, one\n",
    # a package whose import fails: each statement through it fails as a fresh import does
    "src/broken_hub/__init__.py": "import os\n\nraise RuntimeError('no settings')\n",
    "src/broken_hub/part.py": "PART = 1\n",
    "src/steps/f1.py": "import os\nimport broken_hub.part\n",
    "src/steps/f2.py": "from broken_hub.part import PART\n",
    # a module ``__getattr__`` that gives the name: a fresh import never loads the submodule
    "src/lazy_pkg/__init__.py": "def __getattr__(name):\n    if name == 'sub':\n"
    "        return 'lazy'\n    raise AttributeError(name)\n",
    "src/lazy_pkg/sub.py": "raise RuntimeError('never imported')\n",
    "src/lazy_pkg/other.py": "OTHER = 1\n",
    "src/steps/g1.py": "import lazy_pkg.other\nfrom lazy_pkg import sub\n\nassert sub == 'lazy'\n",
    "src/steps/g2.py": "import lazy_pkg.other\nfrom lazy_pkg import sub as s\n",
    # a package that names itself otherwise: the statement imports a submodule of that name
    "src/renamed/__init__.py": "__name__ = 'elsewhere'\n",
    "src/renamed/sub.py": "SUB = 1\n",
    "src/renamed/other.py": "OTHER = 1\n",
    "src/steps/r1.py": "import renamed.other\nfrom renamed import sub\n",
    "src/steps/r2.py": "import renamed.other\nfrom renamed import other, sub\n",
    # a submodule that is found and raises ModuleNotFoundError in its own name: the statement
    # that takes it passes over it, and fails only at the name
    "src/gone/__init__.py": "",
    "src/gone/sub.py": "raise ModuleNotFoundError('gone', name='gone.sub')\n",
    "src/gone/other.py": "OTHER = 1\n",
    "src/steps/m1.py": "import gone.other\nfrom gone import sub\n",
    "src/steps/m2.py": "import gone.other\nfrom gone import other, sub\n",
    # a submodule taken from a package that runs no code: its body's first statement is shared
    "src/quiet/views.py": "from hub.two import TWO\n\nV = 1\n",
    "src/steps/q1.py": "from quiet import views\n",
    # ... unless the shared statement loads that package from elsewhere (a folder it puts first
    # on sys.path): a fresh import has it from src, where shade.other is not (and the views
    # there are not these)
    "src/shifty.py": "import os\nimport sys\n\nsys.path.insert(0, os.path.abspath('alt'))\n"
    "import shade.other\n\nX = 1\n",
    "alt/shade/__init__.py": "",
    "alt/shade/other.py": "OTHER = 1\n",
    "alt/shade/views.py": "V = 'alt'\n",
    "src/shade/__init__.py": "",
    "src/shade/views.py": "from shifty import X\n",
    "src/steps/h1.py": "from shade import views\n",
    "src/steps/h2.py": "from shade import views as v\n",
}

STEP_MODULES = sorted(
    name.removeprefix("src/").removesuffix(".py").replace("/", ".")
    for name in STEPS
    if name.startswith("src/steps/")
)


def _smoke_steps(root: Path, mode: ImportMode) -> SmokeReport:
    return _smoke(root, mode, STEP_MODULES, ("hub.log", "one.log"))


@pytest.fixture(scope="module")
def steps(tmp_path_factory: pytest.TempPathFactory) -> Planted:
    return _planted(tmp_path_factory, STEPS, _smoke_steps)


def test_statements_that_load_the_same_module_first_share_it(steps: Planted) -> None:
    root = _forked_as_fresh(steps, _smoke_steps)
    fresh = steps[1]
    # s1..s4 all begin by importing hub, although they name hub.one, hub.two or hub (q1 too,
    # in the body of the submodule it takes): it ran once; s1, s3 and s4 go on with hub.one,
    # which ran once for the three of them
    assert len((root / "hub.log").read_text().splitlines()) == 1
    assert len((root / "one.log").read_text().splitlines()) == 1
    with shortcuts.switched_off():
        assert _records(_smoke_steps(root, ImportMode.FORK)) == fresh
    assert len((root / "hub.log").read_text().splitlines()) == 5


def test_the_step_planted_cases_are_what_they_claim(steps: Planted) -> None:
    fresh = steps[1]
    assert all(fresh[f"steps.s{n}"][1] == "" for n in range(1, 5))
    assert fresh["steps.f1"][1:4] == (
        "RuntimeError: no settings",
        "src/broken_hub/__init__.py",
        3,
    )
    assert fresh["steps.f2"][1:4] == fresh["steps.f1"][1:4]
    assert fresh["steps.g1"][1] == fresh["steps.g2"][1] == ""
    # the statement imports ``elsewhere.sub``: its parent is not found
    assert fresh["steps.r1"][1] == "ModuleNotFoundError: No module named 'elsewhere'"
    assert fresh["steps.r2"][1] == fresh["steps.r1"][1]
    assert "cannot import name 'sub' from 'gone'" in str(fresh["steps.m1"][1])
    assert "cannot import name 'sub' from 'gone'" in str(fresh["steps.m2"][1])
    assert fresh["steps.q1"][1] == ""
    assert fresh["steps.h1"][1:4] == (
        "ModuleNotFoundError: No module named 'shade.other'",
        "src/shifty.py",
        5,
    )
    assert fresh["steps.h2"][1:4] == fresh["steps.h1"][1:4]


def test_reading_ahead_reads_what_the_forked_path_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server reads the opening statements of the modules to fork while it waits on the
    passes: the same files, keyed as ``item`` and ``silent`` read them later, and never a
    module it is not to read (a changed one)."""
    root = write_tree(tmp_path, STEPS)
    monkeypatch.syspath_prepend(str(root / "src"))
    monkeypatch.setattr(smoke_leads, "_READ", {})
    monkeypatch.setattr(sys, "path_importer_cache", {})
    steps = list(smoke_leads.read_ahead([*STEP_MODULES, "hub.one"], {"steps.s2", "hub"}))
    read = set(smoke_leads._READ)
    src = root / "src"
    # below a changed package nothing is looked for: listing its folder counts as reaching it
    assert str(src / "hub") not in sys.path_importer_cache
    assert str(src / "steps") in sys.path_importer_cache
    assert len(steps) == len(read)
    assert (str(src / "steps" / "s1.py"), "steps") in read
    assert (str(src / "quiet" / "views.py"), "quiet") not in read  # not a module to check
    assert (str(src / "steps" / "s2.py"), "steps") not in read
    # what the forked path reads, as it reads it: every key it needs is there already
    monkeypatch.setattr(smoke_leads, "_READ", {})
    package = smoke_leads.find("steps", None)
    assert smoke_leads.silent(package)  # a namespace package: nothing of it to read
    for module in STEP_MODULES:
        if module != "steps.s2":
            smoke_leads.item(module, [], package.submodule_search_locations, (), True)
    assert set(smoke_leads._READ) == read
