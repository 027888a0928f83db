"""The static import graph: which import forms make an edge, and what a change can affect."""

from __future__ import annotations

from pathlib import Path

import pytest
from kit_helpers import write_tree
from shimkit.analysis import import_graph, scan

TREE = {
    "src/app/__init__.py": "",
    "src/app/core.py": "VALUE = 1\n",
    "src/app/models/__init__.py": "",
    "src/app/models/user.py": "from app.core import VALUE\n",
    "src/app/models/order.py": "from . import user\n",
    "src/app/jobs/__init__.py": "",
    "src/app/jobs/report.py": "import app.models.order\n",
    "src/app/jobs/standalone.py": "import json\n",
    "src/app/cli.py": "def main():\n    from app.jobs import report\n",
    "src/lib/__init__.py": "",
    "src/lib/tool.py": "import os\n",
    "tests/helpers.py": "from app.models.user import VALUE\n",
    "tests/test_user.py": "from helpers import VALUE\n",
    "tests/test_tool.py": "import lib.tool\n",
}


# (source of src/app/mod.py, its project edges, its external imports that run on import)
FORMS = [
    ("import app.core", {"app.core"}, set()),
    ("import app.core as c", {"app.core"}, set()),
    ("from app.core import VALUE", {"app.core"}, set()),
    ("from app import core", {"app", "app.core"}, set()),
    (
        "from app.models import user, order",
        {"app.models", "app.models.user", "app.models.order"},
        set(),
    ),
    ("from . import core", {"app", "app.core"}, set()),
    ("from .core import VALUE", {"app.core"}, set()),
    ("from .models.user import VALUE", {"app.models.user"}, set()),
    ("from .. import x", set(), set()),  # climbs above the top package: unresolved
    ("def f():\n    import app.core", {"app.core"}, set()),
    ("try:\n    import app.core\nexcept ImportError:\n    pass", {"app.core"}, set()),
    (
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
        "    import app.core\n    import mlflow",
        {"app.core"},
        {"typing", "typing.TYPE_CHECKING"},
    ),
    ("import importlib\nimportlib.import_module('app.core')", {"app.core"}, {"importlib"}),
    (
        "from importlib import import_module\nimport_module('.core', 'app')",
        {"app.core"},
        {"importlib", "importlib.import_module"},
    ),
    ("__import__('app.models.user')", {"app.models.user"}, set()),
    ("import app.gone", {"app.gone"}, set()),  # a project module that is not (or no longer) here
    ("import mlflow.tracking", set(), {"mlflow.tracking"}),
    ("from mlflow import MlflowClient", set(), {"mlflow", "mlflow.MlflowClient"}),
    ("def f():\n    import mlflow", set(), set()),  # runs only when called: not loaded up front
    ("class C:\n    import mlflow", set(), {"mlflow"}),  # a class body runs on import
    ("from __future__ import annotations", set(), set()),
]


@pytest.mark.parametrize(("source", "edges", "external"), FORMS, ids=[f[0] for f in FORMS])
def test_each_import_form_gives_its_edges(
    tmp_path: Path, source: str, edges: set[str], external: set[str]
) -> None:
    root = write_tree(tmp_path, {**TREE, "src/app/mod.py": source + "\n"})
    imports = import_graph(scan(root)).files["src/app/mod.py"]
    assert (set(imports.imports), set(imports.external)) == (edges, external)


def test_from_import_of_a_name_is_a_candidate_module_only(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {**TREE, "src/app/mod.py": "from app.models import user, helper\n"})
    imports = import_graph(scan(root)).files["src/app/mod.py"]
    assert set(imports.candidates) == {"app.models.helper"}  # if such a module is deleted


def test_affected_modules_follow_the_closure_and_parent_packages(tmp_path: Path) -> None:
    graph = import_graph(scan(write_tree(tmp_path, TREE)))

    # user imports core; order imports user; report imports order; cli imports report (in a
    # function); standalone imports nothing of the project
    assert graph.affected_modules({"app.core"}) == {
        "app.core",
        "app.models.user",
        "app.models.order",
        "app.jobs.report",
        "app.cli",
    }
    # importing app.models.user runs app/models/__init__.py: every module under it is affected
    assert graph.affected_modules({"app.models"}) == {
        "app.models",
        "app.models.user",
        "app.models.order",
        "app.jobs.report",
        "app.cli",
    }
    assert graph.affected_modules({"app"}) == {m for m in graph.modules if m.startswith("app")}
    assert graph.affected_modules({"lib.tool"}) == {"lib.tool"}
    assert graph.affected_modules({"app.jobs.standalone"}) == {"app.jobs.standalone"}
    assert graph.affected_modules(set()) == set()


def test_a_deleted_module_affects_its_importers(tmp_path: Path) -> None:
    files = {
        **TREE,
        "src/app/uses_gone.py": "import app.gone\n",
        "src/app/uses_gone_by_name.py": "from app import gone\n",
        "src/app/uses_user.py": "from app.models import user\n",
    }
    graph = import_graph(scan(write_tree(tmp_path, files)))
    assert graph.affected_modules({"app.gone"}) == {"app.uses_gone", "app.uses_gone_by_name"}


def test_files_importing_reach_tests_through_their_helpers(tmp_path: Path) -> None:
    graph = import_graph(scan(write_tree(tmp_path, TREE)))
    assert graph.files_importing({"app.core"}) >= {"tests/helpers.py", "tests/test_user.py"}
    assert "tests/test_tool.py" not in graph.files_importing({"app.core"})
    assert graph.files_importing({"lib.tool"}) == {"src/lib/tool.py", "tests/test_tool.py"}


def test_external_imports_of_the_closure_only(tmp_path: Path) -> None:
    files = {
        **TREE,
        "src/app/core.py": "import mlflow\nVALUE = 1\n",
        "src/lib/tool.py": "import optuna\n",
    }
    graph = import_graph(scan(write_tree(tmp_path, files)))
    assert graph.external_imports(["app.models.order"]) == ("mlflow",)
    assert graph.external_imports(["lib.tool", "app.jobs.standalone"]) == ("json", "optuna")


def test_import_order_puts_packages_and_imports_first_with_the_edges_that_run_on_import(
    tmp_path: Path,
) -> None:
    root = write_tree(
        tmp_path,
        {
            **TREE,
            "src/app/ring/__init__.py": "",
            "src/app/ring/a.py": "from app.ring import b\n",
            "src/app/ring/b.py": "def f():\n    import app.ring.c\n",  # anywhere in the file
            "src/app/ring/c.py": "import app.ring.a\n",
            # a module's package is no edge of it (it always runs first); an import of it is
            "src/app/models/base.py": "X = 1\n",
            "src/app/back/__init__.py": "from app.back import inner\n",
            "src/app/back/inner.py": "import app.back\n",
        },
    )
    order = import_graph(scan(root)).import_order()
    position = {module: index for index, module in enumerate(order.modules)}
    assert sorted(order.modules) == sorted(m for m in scan(root).modules)
    for module, before in [
        ("app.jobs.report", "app.models.order"),
        ("app.models.order", "app.models.user"),
        ("app.models.user", "app.core"),
        ("app.models.user", "app.models"),
        ("app.models", "app"),
        ("app.cli", "app.jobs.report"),
        ("app.models.base", "app.models"),
    ]:
        assert position[before] < position[module], (before, module)
    assert order.edges["app.ring.a"] == ("app.ring", "app.ring.b")
    assert "app.ring.b" not in order.edges  # its import of app.ring.c runs only when called
    assert order.edges["app.back"] == ("app.back.inner",)
    assert order.edges["app.back.inner"] == ("app.back",)
    assert order.arranged(["app.jobs.report", "gone", "app.core"]) == [
        "app.core",
        "app.jobs.report",
        "gone",
    ]
