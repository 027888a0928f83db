"""Which layers a retirement can take, where their importers go, and why the others stay: never
all or nothing over one name. Static: run in-process on small trees, nothing is written."""

from __future__ import annotations

from pathlib import Path

import pytest
from kit_helpers import files_under, write_tree
from shimkit.application.preflight import analyse_step
from shimkit.application.run import Run
from shimkit.application.workspace import Workspace
from shimkit.cli import retire_main
from shimkit.cli.reporter import RichReporter
from shimkit.domain.plan import Plan
from shimkit.domain.steps import retire_step
from shimkit.planning.retirement import Retirement, describe, plan_retirement

PLAN = Plan(title="no plan")

# ``new`` is the package that stays; ``old`` and ``legacy`` are layers over it
TREE = {
    "src/new/__init__.py": """\
        from new.space import *  # noqa: F403
        from new.study import Study

        __all__ = ["Study", "Executor", "uniform", "choice"]


        def __getattr__(name):
            if name == "Executor":
                from new.executor import Executor
                return Executor
            raise AttributeError(name)
        """,
    "src/new/study.py": "class Study: ...\n",
    "src/new/executor.py": "class Executor: ...\n",
    "src/new/space/__init__.py": (
        "from .dist import *\nfrom .grid import *\n__all__ = ['uniform', 'choice']\n"
    ),
    "src/new/space/dist.py": "__all__ = ['uniform']\ndef uniform(): ...\n",
    "src/new/space/grid.py": "__all__ = ['choice']\ndef choice(): ...\n",
    "src/new/plugins.py": """\
        import importlib
        _TABLE = {"Ray": "new.executor"}
        def __getattr__(name):
            return getattr(importlib.import_module(_TABLE[name]), "Executor")
        """,
    # a deprecated star layer over the lazy package
    "src/old/__init__.py": "import warnings\nfrom new import *\nwarnings.warn('old', Warning)\n",
    # a star chain over two modules of one package
    "src/old/space.py": "from old.dist import *\nfrom old.grid import *\n",
    "src/old/dist.py": "from new.space.dist import *\n",
    "src/old/grid.py": "from new.space.grid import *\n",
    # explicit re-exports, one of them of a name that is computed
    "src/legacy.py": (
        "from new.study import Study\nfrom new.plugins import Ray\n__all__ = ['Study', 'Ray']\n"
    ),
    "src/app/__init__.py": "",
    "src/app/run.py": """\
        import old
        from old import Study
        from old.space import *
        from legacy import Study as LegacyStudy


        def run():
            return old.Executor, Study, LegacyStudy, uniform, choice
        """,
}


def retirement(root: Path, *modules: str) -> Retirement:
    workspace = Workspace(root, "src", PLAN)
    analysis, step = analyse_step(
        Run(workspace, RichReporter()), retire_step(modules), plan_checked=False, quiet=True
    )
    return plan_retirement(analysis, step, modules)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "repo", TREE)


def test_importers_go_to_the_public_surface_that_provides_a_star_or_lazy_name(tree: Path) -> None:
    moves = retirement(tree, "old", "legacy").moves
    # ``old`` star-imports ``new``: its names, lazy or not, are found on ``new``
    assert moves.names[("old", "Executor")] == "new"
    assert moves.names[("old", "Study")] == "new"
    assert moves.modules["old"] == "new" and moves.stars["old"] == ("new",)
    # explicit re-exports go to the definition
    assert moves.names[("legacy", "Study")] == "new.study"
    # a star chain through retired layers ends at the defining modules; the package above them
    # binds exactly the same names, so a star import of the layer becomes one of that package
    assert moves.names[("old.space", "uniform")] == "new.space.dist"
    assert moves.stars["old.space"] == ("new.space",)


def test_an_unused_name_that_cannot_be_followed_does_not_keep_a_layer(tree: Path) -> None:
    done = retirement(tree, "old", "legacy")
    assert not done.left
    assert set(done.step.retire) == {"old", "old.dist", "old.grid", "old.space", "legacy"}
    assert ("legacy", "Ray") not in done.moves.names


def test_a_used_name_that_cannot_be_followed_keeps_only_its_layer(tree: Path) -> None:
    write_tree(tree, {"src/app/ray.py": "from legacy import Ray\n"})
    done = retirement(tree, "old", "legacy")
    assert set(done.step.retire) == {"old", "old.dist", "old.grid", "old.space"}
    assert [describe(left) for left in done.left] == [
        (
            "legacy",
            "legacy.Ray",
            "new.plugins.__getattr__ computes it (line 4); only branches like "
            '`if name == "X": from M import X; return X` are read',
        )
    ]


def test_a_package_stays_whole_when_one_of_its_submodules_cannot_go(tree: Path) -> None:
    write_tree(tree, {"src/old/grid.py": "from new.space.grid import *\ndef helper(): ...\n"})
    done = retirement(tree, "old", "legacy")
    assert set(done.step.retire) == {"legacy"}
    (left,) = done.left
    module, name, reason = describe(left)
    assert (module, name) == ("old", "")
    assert reason == (
        "a package goes whole, and its submodule old.grid cannot: "
        "it holds code besides re-exports; retire it by hand"
    )


def test_a_star_import_no_module_set_can_replace_keeps_the_layer(tree: Path) -> None:
    write_tree(
        tree,
        {
            # binds Study and uniform; no module binds exactly these two
            "src/new/study.py": "class Study: ...\ndef create_study(): ...\n",
            "src/narrow.py": (
                "from new.study import Study\nfrom new.space.dist import uniform\n"
                "from new.space.grid import choice\n__all__ = ['Study', 'uniform']\n"
            ),
            "src/app/narrow_user.py": "from narrow import *\n",
        },
    )
    done = retirement(tree, "narrow", "legacy")
    assert set(done.step.retire) == {"legacy"}
    (left,) = done.left
    assert describe(left) == (
        "narrow",
        "narrow.*",
        "`from narrow import *` (src/app/narrow_user.py:1): no module, nor set of modules, "
        "binds exactly its names to the same objects",
    )


def test_a_file_that_cannot_be_rewritten_keeps_the_layers_it_uses_and_the_others_go(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_tree(
        tree,
        {
            "src/split.py": "from new.study import Study\nfrom new.space.dist import uniform\n"
            "__all__ = ['Study', 'uniform']\n",
            "src/app/split_user.py": "import split\n\nsplit.Study, split.uniform\n",
        },
    )
    before = files_under(tree)
    status = retire_main(PLAN, ["--root", str(tree), "split", "legacy"])
    out = capsys.readouterr().out
    assert status == 1, out
    assert "--- a/src/legacy.py" in out and "--- a/src/split.py" not in out
    row = next(line for line in out.splitlines() if line.startswith("│ split "))
    assert "src/app/split_user.py:1" in out and "several modules" in out, out
    assert "1 of the 2 layer(s) asked for stay: split" in out
    assert row
    assert files_under(tree) == before  # a dry run


def test_a_named_module_with_code_of_its_own_is_refused(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert retire_main(PLAN, ["--root", str(tree), "new.study"]) == 2
    assert capsys.readouterr().err.strip() == (
        "error: new.study is not a re-export layer: it defines code of its own"
    )


def test_an_old_packages_facade_over_shim_subpackages_is_passed_through(tree: Path) -> None:
    write_tree(
        tree,
        {
            # ``oldpkg`` does not warn, but all it passes on comes from a cross-package layer
            "src/oldpkg/__init__.py": "from .dist import *\n",
            "src/oldpkg/dist.py": "from new.space.dist import *\n",
            "src/older.py": "import warnings\nfrom oldpkg import *\nwarnings.warn('older')\n",
            "src/app/older_user.py": "from older import uniform\n",
        },
    )
    moves = retirement(tree, "older").moves
    assert moves.names[("older", "uniform")] == "new.space.dist"
    assert moves.stars["older"] == ("new.space.dist",)
