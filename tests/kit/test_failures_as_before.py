"""A module that fails after the change, having run code the change touched, is imported again
with the change undone, unless its own import proved that the change only repointed imports of
the retired layer, which would have loaded nothing new and bound the very same objects
(``smoke_child._Undone``): Django's modules that fail for want of settings. Each planted
regression here is a failure after the change that this proof must refuse, so that the import
with the change undone shows it imported then; each is held to that with the shortcut and
without it (``SHIMKIT_NO_SHORTCUTS=1``).

Each tree has one real module, ``inventory.stock``, and deprecated layers in front of it; the
tests run ``retire_shims.py`` as a user does, on a real git repository.
"""

from __future__ import annotations

import json
import os
import py_compile
import subprocess
import sys
from pathlib import Path

import pytest
from kit_helpers import SCRIPTS, Repos, Run, files_under, run_retire, write_tree
from shimkit.analysis import scan
from shimkit.analysis.undone import Repointed, UndoneSide, undone_side

pytestmark = pytest.mark.slow

STOCK = '''\
"""Stock levels."""


def on_hand(item: str) -> int:
    return len(item)
'''
COMPAT = """\
import warnings

from inventory.stock import on_hand

warnings.warn("inventory.compat is deprecated", DeprecationWarning, stacklevel=2)
"""
# a layer whose body also imports a module nothing else has imported by then
LEDGER_COMPAT = """\
import warnings

from inventory.ledger import entries
from inventory.stock import on_hand

warnings.warn("inventory.ledger_compat is deprecated", DeprecationWarning, stacklevel=2)
"""
BASE = {
    "src/inventory/__init__.py": "",
    "src/inventory/stock.py": STOCK,
    "src/inventory/compat.py": COMPAT,
    "src/inventory/counter.py": "from inventory.compat import on_hand\n\nCOUNT = on_hand('bolt')\n",
    "src/inventory/gate.py": "raise RuntimeError('settings are not configured')\n",
}
# fails for want of settings after running the changed ``counter``: the same before the change
NEEDS_SETTINGS = {
    "src/inventory/needs_settings.py": "import inventory.counter\nimport inventory.gate\n"
}
# a module whose functions could find the layer by its name, none of them called at import (as
# Django's autoreload walks ``sys.modules``; like it, a module the change repoints), and a failure
# that loaded it: the same before too
LOOKS_LATER = '''\
import sys

from inventory.compat import on_hand


def loaded() -> list[str]:
    return sorted(sys.modules)


class Watcher:
    def has_layer(self) -> bool:
        """Whether the deprecated layer is loaded."""
        return any(name.endswith(".comp" + "at") for name in self.names())

    def names(self) -> list[str]:
        return list(sys.modules)
'''
LATER_SETTINGS = {
    "src/inventory/looks_later.py": LOOKS_LATER,
    "src/inventory/later_settings.py": (
        "import inventory.looks_later\nimport inventory.counter\nimport inventory.gate\n"
    ),
}
# a failure whose functions could find the layer by its name, none called at import, and that the
# change leaves alone (Django's tests.messages_tests.tests): the fork server reads its opening
# imports, which is not its code run nor its text read by the project
ASIDE_SETTINGS = {
    "src/inventory/looks_aside.py": (
        "import inventory.counter\nimport inventory.gate\nimport sys\n\n\n"
        "def loaded() -> list[str]:\n    return sorted(sys.modules)\n"
    ),
}
# the function that could find the layer by its name, called at import in every way but a
# module-level read: each of its callers below fails only since the change
LOOKS = """\
import sys


def layer_loaded() -> bool:
    return any(name.endswith(".comp" + "at") for name in list(sys.modules))


def needs_layer(function):
    if not layer_loaded():
        raise RuntimeError("no layer for the decorated function")
    return function
"""
CALLED = {
    "src/inventory/looks.py": LOOKS,
    # directly
    "src/inventory/calls.py": (
        "import inventory.counter\nfrom inventory.looks import layer_loaded\n\n"
        "if not layer_loaded():\n    raise RuntimeError('no layer, called directly')\n"
    ),
    # through another module, whose function calls it
    "src/inventory/relay.py": (
        "from inventory.looks import layer_loaded\n\n\ndef ready():\n    return layer_loaded()\n"
    ),
    "src/inventory/through.py": (
        "import inventory.counter\nimport inventory.relay\n\n"
        "if not inventory.relay.ready():\n    raise RuntimeError('no layer, through relay')\n"
    ),
    # from a class body
    "src/inventory/in_class.py": (
        "import inventory.counter\nfrom inventory.looks import layer_loaded\n\n\n"
        "class Probe:\n    if not layer_loaded():\n"
        "        raise RuntimeError('no layer, class body')\n"
    ),
    # from a comprehension
    "src/inventory/in_comprehension.py": (
        "import inventory.counter\nfrom inventory.looks import layer_loaded\n\n"
        "if not all([check() for check in (layer_loaded,)]):\n"
        "    raise RuntimeError('no layer, comprehension')\n"
    ),
    # from a decorator
    "src/inventory/decorated.py": (
        "import inventory.counter\nfrom inventory.looks import needs_layer\n\n\n"
        "@needs_layer\ndef handler():\n    return 1\n"
    ),
}
REGRESSIONS = {
    # looks the layer up on its package, where ``counter``'s import left it before the change
    "src/inventory/peeks.py": (
        "import inventory\nimport inventory.counter\n\n"
        "NUT = getattr(inventory, 'compat').on_hand('nut')\n"
    ),
    # the layer's body imported ``inventory.ledger``, which readies the state; nothing else does
    "src/inventory/state.py": "READY = False\n",
    "src/inventory/ledger.py": (
        "import inventory.state\n\ninventory.state.READY = True\nentries = []\n"
    ),
    "src/inventory/ledger_compat.py": LEDGER_COMPAT,
    "src/inventory/tally.py": "from inventory.ledger_compat import on_hand\n",
    "src/inventory/checks_ready.py": (
        "import inventory.state\nimport inventory.tally\n\n"
        "if not inventory.state.READY:\n    raise RuntimeError('the ledger was never loaded')\n"
    ),
    # the layer's warning was an error under the filter this module set, and it counted on it
    "src/inventory/strict.py": (
        "import warnings\n\n"
        "warnings.simplefilter('error', DeprecationWarning)\n"
        "try:\n    import inventory.counter\nexcept DeprecationWarning:\n    pass\n"
        "else:\n    raise RuntimeError('the layer did not warn')\n"
    ),
    # found the layer by its name among the loaded modules, where only the old import put it
    "src/inventory/seeks.py": (
        "import sys\nimport inventory.counter\n\n"
        "if 'inventory.' + 'compat' not in sys.modules:\n"
        "    raise RuntimeError('the layer is not loaded')\n"
    ),
    # the same, by going through them all, with no string that names it
    "src/inventory/enumerates.py": (
        "import sys\nimport inventory.counter\n\n"
        "if not any(name.endswith('.comp' + 'at') for name in list(sys.modules)):\n"
        "    raise RuntimeError('no layer among the loaded modules')\n"
    ),
}


def repo(repos: Repos, name: str, files: dict[str, str]) -> Path:
    root = repos.make(None, name)
    write_tree(root, {**BASE, **files})
    repos.commit_all(root, "a codebase with deprecated layers")
    return root


def text(run: Run) -> str:
    return " ".join((run.stdout + run.stderr).replace("│", " ").split())


@pytest.fixture(params=["forked", "fresh", "no-shortcuts"])
def mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> tuple[str, ...]:
    """How the run imports: forked children (the shortcut), fresh interpreters (the shortcut),
    or with no shortcut at all; the arguments that say so."""
    if request.param == "no-shortcuts":
        monkeypatch.setenv("SHIMKIT_NO_SHORTCUTS", "1")
    else:
        monkeypatch.delenv("SHIMKIT_NO_SHORTCUTS", raising=False)
    return ("--fresh-interpreters",) if request.param == "fresh" else ()


def refused(root: Path, mode: tuple[str, ...]) -> str:
    """The output of a retire of the deprecated layers that must be refused: it leaves the tree
    as it was."""
    before = files_under(root)
    run = run_retire(root, "--deprecated", "--write", *mode)
    output = text(run)
    assert run.returncode == 1 and files_under(root) == before, output
    return output


def shortcut() -> bool:
    return os.environ.get("SHIMKIT_NO_SHORTCUTS") != "1"


@pytest.mark.parametrize(
    ("files", "module"),
    [
        (NEEDS_SETTINGS, "needs_settings"),
        (LATER_SETTINGS, "later_settings"),
        (ASIDE_SETTINGS, "looks_aside"),
    ],
    ids=["repointed", "loads-code-looking-for-the-layer", "holds-code-looking-for-the-layer"],
)
def test_a_failure_the_change_only_repointed_imports_for_is_not_imported_again(
    repos: Repos, mode: tuple[str, ...], files: dict[str, str], module: str
) -> None:
    """Also when the failure loaded a module whose functions could find the layer by its name
    and called none of them (``later_settings``; while the whole module counted, it went back
    to an import with the change undone), or is such a module (``looks_aside``: the fork
    server's own read of its opening imports counted as its text read by the project)."""
    root = repo(repos, "settings", files)
    run = run_retire(root, "--deprecated", "--write", *mode)
    output = text(run)
    assert run.returncode == 0, output
    assert not (root / "src/inventory/compat.py").exists()
    failure = "RuntimeError: settings are not configured"
    proven = f"pre-existing: inventory.{module} fails the same way with the change undone (it reached only repointed imports): {failure}"  # noqa: E501
    again = f"pre-existing: inventory.{module} did not import before the change either: {failure}"
    assert (proven in output) is shortcut(), output
    assert (again in output) is not shortcut(), output


def test_failures_after_code_looking_for_the_layer_ran_are_regressions(
    repos: Repos, mode: tuple[str, ...]
) -> None:
    """Called at import, directly, through another module, from a class body, a comprehension
    or a decorator, the function that looks for the layer tells the import apart from the one
    before the change: each failure is a regression, none proven pre-existing."""
    root = repo(repos, "called", {**LATER_SETTINGS, **CALLED})
    before = files_under(root)
    run = run_retire(root, "--deprecated", "--write", *mode)
    output = text(run)
    assert run.returncode == 1, output
    assert files_under(root) == before
    for module, how in [
        ("calls", "called directly"),
        ("through", "through relay"),
        ("in_class", "class body"),
        ("in_comprehension", "comprehension"),
    ]:
        assert f"inventory.{module}: RuntimeError: no layer, {how}" in output
    assert "inventory.decorated: RuntimeError: no layer for the decorated function" in output
    assert "inventory.later_settings: RuntimeError" not in output  # it failed so before too


def test_failures_that_differ_with_the_change_undone_are_regressions(
    repos: Repos, mode: tuple[str, ...]
) -> None:
    root = repo(repos, "regressions", {**NEEDS_SETTINGS, **REGRESSIONS})
    before = files_under(root)
    run = run_retire(root, "--deprecated", "--write", *mode)
    output = text(run)
    assert run.returncode == 1, output
    assert "your tree was not changed" in output
    assert files_under(root) == before
    assert "inventory.peeks: AttributeError: module 'inventory' has no attribute 'compat'" in output
    assert "inventory.checks_ready: RuntimeError: the ledger was never loaded" in output
    assert "inventory.strict: RuntimeError: the layer did not warn" in output
    assert "inventory.seeks: RuntimeError: the layer is not loaded" in output
    assert "inventory.enumerates: RuntimeError: no layer among the loaded modules" in output
    assert "inventory.needs_settings: RuntimeError" not in output  # it failed so before too
    # why the proof did not hold for the five, said where their imports with the change undone are
    why = "5 failure(s) imported again with the change undone; their own import did not prove"
    assert (why in output) is shortcut(), output


def test_many_failures_that_were_there_before_are_summarised(
    repos: Repos, mode: tuple[str, ...], tmp_path: Path
) -> None:
    """Eleven modules that fail for want of settings, as before the change: one note says how
    many, and the failure they share (Django's 932 were a line each); ``--json`` names them all."""
    files = {
        f"src/inventory/needs_{n:02}.py": "import inventory.counter\nimport inventory.gate\n"
        for n in range(11)
    }
    root = repo(repos, "many", files)
    result = tmp_path / "result.json"
    run = run_retire(root, "--deprecated", "--write", "--json", str(result), *mode)
    output = text(run)
    assert run.returncode == 0, output
    why = (
        "fails the same way with the change undone (it reached only repointed imports)"
        if shortcut()
        else "did not import before the change either"
    )
    summary = (
        f"pre-existing: 11 modules, each of which {why}: 11 with RuntimeError: settings are not "
        "configured (inventory.needs_00, inventory.needs_01 and 9 more)"
    )
    assert summary in output, output
    assert "pre-existing: inventory.needs_05" not in output, output
    failure = "RuntimeError: settings are not configured"
    listed = json.loads(result.read_text())["pre_existing"]
    assert sorted((f["module"], f["why"], f["failure"]) for f in listed) == [
        (f"inventory.needs_{n:02}", why, failure) for n in range(11)
    ]


# as ``enumerates`` above, reaching ``sys`` through the modules that hold it
THROUGH_OTHERS_REGRESSIONS = {
    "src/inventory/os_enumerates.py": (
        "import os\nimport inventory.counter\n\n"
        "if not any(name.endswith('.comp' + 'at') for name in list(os.sys.modules)):\n"
        "    raise RuntimeError('no layer among the modules os holds')\n"
    ),
    "src/inventory/importlib_enumerates.py": (
        "import importlib\nimport inventory.counter\n\n"
        "if not any(n.endswith('.comp' + 'at') for n in importlib.sys.modules.copy()):\n"
        "    raise RuntimeError('no layer among the modules importlib holds')\n"
    ),
}


def test_failures_after_a_walk_of_sys_modules_through_another_module_are_regressions(
    repos: Repos, mode: tuple[str, ...]
) -> None:
    """``os.sys.modules`` is ``sys.modules``: a module that walked it at import was proven to
    fail the same way with the change undone, and the change was written."""
    root = repo(repos, "through-others", {**NEEDS_SETTINGS, **THROUGH_OTHERS_REGRESSIONS})
    output = refused(root, mode)
    for holder in ("os", "importlib"):
        failure = f"RuntimeError: no layer among the modules {holder} holds"
        assert f"inventory.{holder}_enumerates: {failure}" in output
    assert "inventory.needs_settings: RuntimeError" not in output  # it failed so before too


def test_only_changes_that_repoint_imports_of_a_plain_layer_are_described(tmp_path: Path) -> None:
    """A layer with code of its own, a moved line or a rewritten attribute chain are not
    described: a failure that reached them is imported again."""
    before = write_tree(
        tmp_path / "before",
        {
            **BASE,
            "src/inventory/odd.py": "from inventory.stock import on_hand\nprint('loaded')\n",
            "src/inventory/via_odd.py": "from inventory.odd import on_hand\n",
            "src/inventory/chain.py": (
                "import inventory.compat\n\nN = inventory.compat.on_hand('x')\n"
            ),
            "src/inventory/moved.py": "from inventory.compat import on_hand\n",
            "src/inventory/twice.py": (
                "from inventory.compat import on_hand\n\n\ndef again():\n"
                "    from inventory.stock import on_hand\n    return on_hand\n"
            ),
        },
    )
    after = write_tree(
        tmp_path / "after",
        {
            **{k: v for k, v in BASE.items() if not k.endswith("compat.py")},
            "src/inventory/counter.py": (
                "from inventory.stock import on_hand\n\nCOUNT = on_hand('bolt')\n"
            ),
            "src/inventory/via_odd.py": "from inventory.stock import on_hand\n",
            "src/inventory/chain.py": (
                "import inventory.stock\n\nN = inventory.stock.on_hand('x')\n"
            ),
            "src/inventory/moved.py": "\nfrom inventory.stock import on_hand\n",
            "src/inventory/twice.py": (
                "from inventory.stock import on_hand\n\n\ndef again():\n"
                "    from inventory.stock import on_hand\n    return on_hand\n"
            ),
        },
    )
    side = undone_side(
        scan(before, "src"),
        scan(after, "src"),
        ["inventory.counter", "inventory.via_odd", "inventory.chain", "inventory.moved",
         "inventory.twice", "inventory.compat", "inventory.odd"],
        ["inventory.compat", "inventory.odd"],
    )  # fmt: skip
    assert set(side.shims) == {"inventory.compat"}
    assert side.shims["inventory.compat"].warns
    assert side.statements == {
        "inventory.counter": (Repointed("inventory.stock", ("on_hand",), "inventory.compat"),)
    }


def retired_compat(tmp_path: Path, files: dict[str, str]) -> UndoneSide:
    """The change that retires ``inventory.compat`` (``counter`` repointed) in a tree that also
    holds ``files``, as the child sees it."""
    before = write_tree(tmp_path / "before", {**BASE, **files})
    after_files = {**BASE, **files}
    after_files["src/inventory/counter.py"] = (
        "from inventory.stock import on_hand\n\nCOUNT = on_hand('bolt')\n"
    )
    del after_files["src/inventory/compat.py"]
    after = write_tree(tmp_path / "after", after_files)
    return undone_side(
        scan(before, "src"),
        scan(after, "src"),
        ["inventory.counter", "inventory.compat"],
        ["inventory.compat"],
    )


def test_modules_that_could_find_a_layer_by_its_name_are_known(tmp_path: Path) -> None:
    """Code that reads ``sys.modules`` as a whole or ``sys``'s namespace, or holds a string with
    the layer's name in it, could tell the layer was loaded: the child cannot watch it, so an
    import that ran it proves nothing. A read of ``sys.modules`` by one key needs such a string."""
    by_key = {
        "src/inventory/own.py": "import sys\n\nME = sys.modules[__name__]\n",
        "src/inventory/cached.py": (
            "import sys\n\n\ndef cached(path):\n"
            "    return sys.modules.get(path) if path in sys.modules else None\n"
        ),
        "src/inventory/argv.py": "import sys\n\nARGS = sys.argv[1:]\n",
    }
    seeking = {
        "src/inventory/names_it.py": "LAYER = 'inventory.compat'\n",
        "src/inventory/walks.py": "import sys\n\nLOADED = sorted(sys.modules)\n",
        "src/inventory/copies.py": "import sys\n\nSNAPSHOT = sys.modules.copy()\n",
        "src/inventory/takes.py": "from sys import modules\n",
        "src/inventory/reads_sys.py": "import sys\n\nM = vars(sys)['modules']\n",
        "src/inventory/aliases.py": "import sys as system\n\nM = getattr(system, 'modules')\n",
    }
    side = retired_compat(tmp_path, {**by_key, **seeking})
    expected = {"inventory." + Path(path).stem for path in seeking}
    assert side.seekers == expected


# ``sys`` reached otherwise than by a name bound to it: every module that imported sys holds it
# (``os.sys``, ``importlib.sys``), any module may be asked for it (``from os import sys as s``),
# a string can name it on a path (``mock.patch.dict("sys.modules")``), and Python reads a name
# in its NFKC form (``sys`` spelled with a full-width s is ``sys``)
THROUGH_OTHERS = {
    "src/inventory/os_walks.py": "import os\n\nLOADED = sorted(os.sys.modules)\n",
    "src/inventory/importlib_copies.py": (
        "import importlib\n\nSNAPSHOT = importlib.sys.modules.copy()\n"
    ),
    "src/inventory/holds_os_sys.py": "import os\n\nS = os.sys\n",
    "src/inventory/from_os.py": "from os import sys as system\n\nM = list(system.modules)\n",
    "src/inventory/patches.py": "TARGET = 'sys.modules'\n",
    "src/inventory/resolves.py": "import pkgutil\n\nS = pkgutil.resolve_name('os:sys')\n",
    "src/inventory/wide.py": "import \uff53ys\n\nLOADED = sorted(\uff53ys.modules)\n",
}


def test_sys_reached_through_another_module_is_known(tmp_path: Path) -> None:
    """``sys.modules`` read whole through any of the ways to ``sys`` marks a seeker; reads of
    other attributes of ``sys`` reached so, or of ``sys.modules`` by one key, do not."""
    by_key = {
        "src/inventory/os_argv.py": "import os\n\nARGS = os.sys.argv[1:]\n",
        "src/inventory/os_own.py": "import os\n\nME = os.sys.modules[__name__]\n",
        "src/inventory/patches_argv.py": "P = 'inventory.counter.sys.argv'\n",
    }
    side = retired_compat(tmp_path, {**by_key, **THROUGH_OTHERS})
    assert side.seekers == {"inventory." + Path(path).stem for path in THROUGH_OTHERS}


def test_code_looking_for_a_layer_is_known_by_the_function_whose_body_holds_it(
    tmp_path: Path,
) -> None:
    """Such code in a function's body runs only when it is called: the ``def`` statement is
    named (by line and column; the innermost one). A default, a decorator, a lambda, a class
    body and a function's docstring run, or are there to be read, where the ``def`` or the
    class statement runs: at module level here, so the whole module counts."""
    in_functions = {
        "src/inventory/in_function.py": (
            "import sys\n\n\ndef loaded():\n    return sorted(sys.modules)\n"
        ),
        "src/inventory/in_method.py": (
            "class Watcher:\n    def names(self):\n        import sys\n\n"
            "        return list(sys.modules)\n"
        ),
        "src/inventory/nested.py": (
            "import sys\n\n\ndef outer():\n    def inner():\n        return vars(sys)\n\n"
            "    return inner\n"
        ),
        "src/inventory/two.py": (
            "def first():\n    return 'inventory.compat'\n\n\n"
            "async def second():\n    from sys import modules\n\n    return modules\n"
        ),
    }
    whole = {
        "src/inventory/default.py": (
            "import sys\n\n\ndef loaded(modules=sys.modules):\n    return modules\n"
        ),
        "src/inventory/decorator.py": (
            "import sys\n\n\ndef keep(*args):\n    return lambda f: f\n\n\n"
            "@keep(sys.modules)\ndef handler():\n    return 1\n"
        ),
        "src/inventory/in_lambda.py": "import sys\n\nLOADED = lambda: list(sys.modules)\n",
        "src/inventory/in_class.py": (
            "import sys\n\n\nclass Snapshot:\n    LOADED = list(sys.modules)\n"
        ),
        "src/inventory/documented.py": (
            'def on_hand():\n    """What inventory.compat gave."""\n    return 1\n'
        ),
    }
    side = retired_compat(tmp_path, {**in_functions, **whole})
    assert side.seekers == {"inventory." + Path(path).stem for path in whole}
    assert side.seeking == {
        "inventory.in_function": ((4, 0),),
        "inventory.in_method": ((2, 4),),
        "inventory.nested": ((5, 4),),
        "inventory.two": ((1, 0), (5, 0)),
    }


@pytest.mark.parametrize("how", ["marked", "bytecode-cache", "exec"])
def test_code_looking_for_the_layer_that_runs_unmarked_refuses_the_proof(
    tmp_path: Path, how: str
) -> None:
    """The child gives the import system its marked code of a module whose functions could
    find the layer by its name; that module's code run otherwise (from a bytecode cache the
    tree holds, or its text read and run by the project) counts as all of it run."""
    calls = {
        "bytecode-cache": CALLED["src/inventory/calls.py"],
        "marked": CALLED["src/inventory/calls.py"],
        "exec": (
            "import inventory.counter\nimport inventory.looks\n\n"
            "SPACE = {}\nexec(open(inventory.looks.__file__).read(), SPACE)\n"
            "raise RuntimeError('settings are not configured')\n"
        ),
    }[how]
    files = {"src/inventory/looks.py": LOOKS, "src/inventory/calls.py": calls}
    side = retired_compat(tmp_path, files)
    assert side.seeking == {"inventory.looks": ((4, 0),)}
    src = tmp_path / "after" / "src"
    if how == "bytecode-cache":
        py_compile.compile(str(src / "inventory/looks.py"), doraise=True)
    command = [
        sys.executable, "-P", str(SCRIPTS / "shimkit/verify/smoke_child.py"), "fresh",
        "inventory.calls", str(src), "[]", '["inventory.counter", "inventory.compat"]',
        json.dumps(side.to_json()),
    ]  # fmt: skip
    environment = {**os.environ, "PYTHONPATH": str(src), "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(
        command, cwd=tmp_path / "after", env=environment, capture_output=True, text=True
    )
    record = json.loads(done.stdout.rpartition("@@shimkit-smoke@@")[2])
    assert record["outcome"] == "import-error", record
    assert record["undone"] == {
        "marked": "ran inventory.looks.layer_loaded (line 4), which could look a shim up by "
        "its name",
        "bytecode-cache": "ran or read inventory.looks's code unmarked (exec)",
        "exec": "ran or read inventory.looks's code unmarked (open)",
    }[how]
