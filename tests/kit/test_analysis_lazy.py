"""Names provided by a PEP 562 ``__getattr__`` and through chains of star imports, followed
statically to their definition; what cannot be followed says why."""

from __future__ import annotations

from pathlib import Path

import pytest
from kit_helpers import write_tree
from shimkit.analysis import ModuleIndex, build_inventory, find_shims, render_markdown, scan
from shimkit.domain.model import Definition, Resolution

LAZY_PACKAGE = {
    "src/heavy/__init__.py": "",
    "src/heavy/engine.py": "class Engine: ...\nclass Turbo: ...\nclass Either: ...\n",
    "src/heavy/tools.py": "def wrench():\n    pass\n\ndef hammer():\n    pass\n",
    "src/heavy/renamed.py": "class NewName:\n    pass\n",
    "src/lazy/__init__.py": '''\
        """Names imported on first use."""
        import importlib
        import warnings

        __all__ = ["Engine", "Turbo", "wrench", "hammer", "OldName", "Cached", "Either", "Other"]


        def __getattr__(name):
            """Import on first use."""
            if name == "Engine":
                from heavy.engine import Engine

                return Engine
            elif "Turbo" == name:
                import heavy.engine as engine

                return engine.Turbo
            elif name == "wrench":
                return importlib.import_module("heavy.tools").wrench
            elif name == "hammer":
                return getattr(importlib.import_module(".tools", "heavy"), "hammer")
            if name == "OldName":
                warnings.warn("OldName is deprecated", DeprecationWarning)
                from heavy.renamed import NewName

                return NewName
            if name == "Cached":
                from heavy.engine import Engine as Cached

                globals()[name] = Cached
                return Cached
            if name in ("Either", "Other"):
                module = importlib.import_module("heavy.engine")
                return getattr(module, name)
            raise AttributeError(name)
        ''',
    "src/lazy/sub/__init__.py": """\
        import importlib


        def __getattr__(name):
            if name == "Engine":
                from ..engine_home import Engine
                return Engine
            if name == "Turbo":
                return importlib.import_module(".turbo", __name__).Turbo
            raise AttributeError(name)
        """,
    "src/lazy/engine_home.py": "class Engine:\n    pass\n",
    "src/lazy/sub/turbo.py": "class Turbo:\n    pass\n",
    "src/lazy/relative.py": """\
        import importlib


        def __getattr__(name):
            if name == "Engine":
                return importlib.import_module(".engine_home", __package__).Engine
            if name == "Turbo":
                return __import__("importlib").import_module("lazy.sub.turbo").Turbo
            raise AttributeError(name)
        """,
    # a deprecated layer that star-imports the lazy package
    "src/old/__init__.py": """\
        import warnings

        from lazy import *  # noqa: F403

        warnings.warn("old is deprecated", DeprecationWarning)
        """,
}


def index_of(tmp_path: Path, files: dict[str, str]) -> ModuleIndex:
    return ModuleIndex(scan(write_tree(tmp_path, files)))


def defined(index: ModuleIndex, module: str, name: str) -> Definition | None:
    return index.resolution(module, name).definition


@pytest.mark.parametrize(
    ("name", "where"),
    [
        ("Engine", Definition("heavy.engine", "Engine")),  # if name == "X": from M import X
        ("Turbo", Definition("heavy.engine", "Turbo")),  # elif "X" == name: import M as m; m.X
        ("wrench", Definition("heavy.tools", "wrench")),  # importlib.import_module("M").X
        ("hammer", Definition("heavy.tools", "hammer")),  # getattr(import_module(".m", "pkg"), "X")
        ("OldName", Definition("heavy.renamed", "NewName")),  # warns, renamed
        ("Cached", Definition("heavy.engine", "Engine")),  # cached in globals()
        ("Either", Definition("heavy.engine", "Either")),  # name in (...): getattr(module, name)
    ],
)
def test_a_lazy_branch_resolves_to_the_definition(
    tmp_path: Path, name: str, where: Definition
) -> None:
    index = index_of(tmp_path, LAZY_PACKAGE)
    resolution = index.resolution("lazy", name)
    assert resolution.definition == where
    assert resolution.chain == ("lazy", where.module)
    assert resolution.via == ("lazy",)
    assert resolution.provides_lazily("lazy")


def test_relative_lazy_imports_resolve_against_the_package(tmp_path: Path) -> None:
    index = index_of(tmp_path, LAZY_PACKAGE)
    assert defined(index, "lazy.sub", "Engine") == Definition("lazy.engine_home", "Engine")
    assert defined(index, "lazy.sub", "Turbo") == Definition("lazy.sub.turbo", "Turbo")
    assert defined(index, "lazy.relative", "Engine") == Definition("lazy.engine_home", "Engine")
    # ``__import__("importlib")`` is not read: from there on, the names are computed
    turbo = index.resolution("lazy.relative", "Turbo")
    assert turbo.definition is None
    assert turbo.unresolved.startswith("lazy.relative.__getattr__ computes it (line 8)")


def test_a_star_layer_over_a_lazy_package_shows_the_whole_chain(tmp_path: Path) -> None:
    index = index_of(tmp_path, LAZY_PACKAGE)
    resolution = index.resolution("old", "Engine")
    assert resolution == Resolution(
        "old",
        "Engine",
        ("old", "lazy", "heavy.engine"),
        Definition("heavy.engine", "Engine"),
        ("star", "lazy"),
        "",
        ("Engine", "Engine", "Engine"),
    )
    renamed = index.resolution("old", "OldName")
    assert renamed.names == ("OldName", "OldName", "NewName")


def test_a_layer_whose_only_code_is_a_lazy_getattr_is_nothing_but_re_exports(
    tmp_path: Path,
) -> None:
    shims = {s.module: s for s in find_shims(scan(write_tree(tmp_path, LAZY_PACKAGE)))}
    lazy = shims["lazy"]
    assert not lazy.pure and lazy.reexports_only
    assert {r.name for r in lazy.reexports if r.lazy} >= {"Engine", "Turbo", "OldName", "Cached"}
    old = shims["old"]
    assert old.warns and old.pure
    # what ``from old import *`` passes on: lazy's __all__, not the ``warnings`` module it uses
    assert sorted(r.name for r in old.reexports) == sorted(
        ["Engine", "Turbo", "wrench", "hammer", "OldName", "Cached", "Either", "Other"]
    )


COMPUTED = {
    "src/plugins/__init__.py": """\
        import importlib

        __all__ = ["Known", "Ray"]
        _TABLE = {"Ray": "plugins.ray"}


        def __getattr__(name):
            if name == "Known":
                from plugins.ray import Known
                return Known
            module = importlib.import_module(_TABLE[name])
            return getattr(module, name)
        """,
    "src/plugins/ray.py": "class Ray:\n    pass\n\nclass Known:\n    pass\n",
    "src/compat.py": "from plugins import Known, Ray\n__all__ = ['Known', 'Ray']\n",
}


def test_a_computed_getattr_is_not_followed_and_says_where(tmp_path: Path) -> None:
    index = index_of(tmp_path, COMPUTED)
    assert defined(index, "compat", "Known") == Definition("plugins.ray", "Known")
    ray = index.resolution("compat", "Ray")
    assert ray.definition is None
    assert ray.chain == ("compat", "plugins")
    assert ray.unresolved.startswith("plugins.__getattr__ computes it (line 11)")
    layer = {s.module: s for s in find_shims(index.codebase)}["plugins"]
    assert not layer.reexports_only  # it has code a retirement would lose


def test_names_no_branch_provides_and_unknown_modules_say_why(tmp_path: Path) -> None:
    index = index_of(
        tmp_path,
        {
            **LAZY_PACKAGE,
            "src/listed.py": "__all__ = ['ghost']\n",
            "src/external.py": "from numpy import *\n",
            "src/gone.py": "from no_such_distribution_anywhere import *\n",
            "src/loop_a.py": "from loop_b import x\n",
            "src/loop_b.py": "from loop_a import x\n",
        },
    )
    assert index.resolution("lazy", "Nothing").unresolved == (
        "lazy does not bind it: its __getattr__ (line 8) has no branch for it"
    )
    assert index.resolution("listed", "ghost").unresolved == (
        "listed lists it in __all__ but never binds it"
    )
    # an installed package is read statically: the name is found there
    assert index.resolution("external", "array").definition == Definition("numpy", "array")
    gone = index.resolution("gone", "thing").unresolved
    assert "outside the analysed tree, not installed" in gone
    assert "import cycle" in index.resolution("loop_a", "x").unresolved


def test_the_inventory_shows_the_lazy_hop_and_the_definition() -> None:
    fixture = Path(__file__).resolve().parents[1] / "fixtures" / "deprecated_layers"
    report = render_markdown(build_inventory(fixture))
    row = next(line for line in report.splitlines() if line.startswith("| `TrialExecutor` (star)"))
    assert row == (
        "| `TrialExecutor` (star) | `tuning`:5 | `hpo` → `tuning` (lazy `__getattr__`) → "
        "`tuning.executors.trial` | `tuning.executors.trial.TrialExecutor` |"
    )
    assert "| `tuning` | package facade (some names lazy, through `__getattr__`) | no |" in report
