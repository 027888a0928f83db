"""Finding re-export layers and following their chains to the source of truth."""

from __future__ import annotations

from pathlib import Path

from shimkit.analysis import find_shims, make_resolver, resolve, scan, shim_layer
from shimkit.domain.model import Definition, ReExport, ShimLayer

TREE = {
    "src/infrastructure/__init__.py": "",
    "src/infrastructure/tracking/__init__.py": "",
    "src/infrastructure/tracking/mlflow/__init__.py": (
        '"""MLflow tracking."""\nfrom .runs import create_child_run\nfrom .utils import *\n'
    ),
    "src/infrastructure/tracking/mlflow/utils.py": (
        "import time\n"
        "__all__ = ['retry_with_backoff', 'get_mlflow_run_id']\n"
        "def retry_with_backoff(fn):\n    return fn\n"
        "def get_mlflow_run_id():\n    return None\n"
        "def _private():\n    pass\n"
    ),
    "src/infrastructure/tracking/mlflow/urls.py": (
        "from typing import Final\n"
        "BASE: Final = 'http://x'\n"
        "def get_mlflow_run_url(run_id: str) -> str:\n    return BASE + run_id\n"
    ),
    "src/infrastructure/tracking/mlflow/runs.py": ("class create_child_run:\n    pass\n"),
    "src/infrastructure/tracking/mlflow/setup.py": (
        "setup_mlflow_for_stage = lambda stage: stage\n"
    ),
    # the codebase's shims
    "src/orchestration/__init__.py": "",
    "src/orchestration/mlflow_utils.py": (
        '"""Deprecated: use infrastructure.tracking.mlflow.setup."""\n'
        "import warnings\n"
        "from infrastructure.tracking.mlflow.setup import setup_mlflow_for_stage\n"
        "warnings.warn('orchestration.mlflow_utils is deprecated', DeprecationWarning, 2)\n"
        "__all__ = ['setup_mlflow_for_stage']\n"
    ),
    "src/orchestration/jobs/__init__.py": "",
    "src/orchestration/jobs/tracking/__init__.py": "",
    "src/orchestration/jobs/tracking/utils/__init__.py": (
        "from .mlflow_utils import get_mlflow_run_url, retry_with_backoff\n"
        "from .helpers import create_child_run\n"
        "__all__ = ['create_child_run', 'get_mlflow_run_url', 'retry_with_backoff']\n"
    ),
    "src/orchestration/jobs/tracking/utils/mlflow_utils.py": (
        "from __future__ import annotations\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from infrastructure.tracking.mlflow.runs import create_child_run\n"
        "try:\n"
        "    from infrastructure.tracking.mlflow.urls import get_mlflow_run_url\n"
        "    from infrastructure.tracking.mlflow.utils import retry_with_backoff\n"
        "except ImportError:\n"
        "    get_mlflow_run_url = None\n"
        "    retry_with_backoff = None\n"
    ),
    "src/orchestration/jobs/tracking/utils/helpers.py": (
        "from infrastructure.tracking.mlflow import create_child_run\n"
    ),
    "src/orchestration/jobs/tracking/mlflow_utils.py": (
        "from orchestration.jobs.tracking.utils.mlflow_utils import *  # noqa\n"
    ),
    "src/orchestration/jobs/tracking/mlflow_helpers.py": (
        "from ..tracking.utils.helpers import create_child_run as create_child_run\n"
    ),
    "src/orchestration/jobs/tracking/mlflow_star.py": (
        "from infrastructure.tracking.mlflow.utils import *\n"
    ),
    "src/orchestration/jobs/tracking/external.py": (
        "from mlflow.tracking import MlflowClient\n"
        "from orchestration.jobs.tracking.utils import create_child_run\n"
        "__all__ = ['MlflowClient', 'create_child_run']\n"
    ),
    # not shims
    "src/orchestration/jobs/tracking/trackers/__init__.py": "",
    "src/orchestration/jobs/tracking/trackers/sweep.py": (
        "from orchestration.jobs.tracking.mlflow_utils import retry_with_backoff\n"
        "class SweepTracker:\n    def run(self):\n        return retry_with_backoff\n"
    ),
    "src/orchestration/constants.py": (
        "from infrastructure.tracking.mlflow.urls import BASE\nCONFIG = BASE + '/config'\n"
    ),
    "src/orchestration/cycle_a.py": "from orchestration.cycle_b import thing\n",
    "src/orchestration/cycle_b.py": "from orchestration.cycle_a import thing\n",
}


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    return root


def shims_by_module(tmp_path: Path) -> dict[str, ShimLayer]:
    codebase = scan(write(tmp_path, TREE))
    return {s.module: s for s in find_shims(codebase)}


def test_only_re_export_layers_are_found(tmp_path: Path) -> None:
    shims = shims_by_module(tmp_path)
    assert sorted(shims) == [
        "infrastructure.tracking.mlflow",
        "orchestration.cycle_a",
        "orchestration.cycle_b",
        "orchestration.jobs.tracking.external",
        "orchestration.jobs.tracking.mlflow_helpers",
        "orchestration.jobs.tracking.mlflow_star",
        "orchestration.jobs.tracking.mlflow_utils",
        "orchestration.jobs.tracking.utils",
        "orchestration.jobs.tracking.utils.helpers",
        "orchestration.jobs.tracking.utils.mlflow_utils",
        "orchestration.mlflow_utils",
    ]
    # defines a class / uses its import for its own code: not shims
    assert "orchestration.jobs.tracking.trackers.sweep" not in shims
    assert "orchestration.constants" not in shims


def test_deprecated_shim_warns_and_is_pure(tmp_path: Path) -> None:
    shim = shims_by_module(tmp_path)["orchestration.mlflow_utils"]
    assert shim.warns and shim.pure and not shim.facade and not shim.is_package_init
    assert shim.all_names == ("setup_mlflow_for_stage",)
    assert shim.reexports == (
        ReExport(
            "setup_mlflow_for_stage",
            "infrastructure.tracking.mlflow.setup",
            "setup_mlflow_for_stage",
            3,
        ),
    )
    assert shim.path == "src/orchestration/mlflow_utils.py"


def test_guarded_imports_with_none_fallbacks(tmp_path: Path) -> None:
    shim = shims_by_module(tmp_path)["orchestration.jobs.tracking.utils.mlflow_utils"]
    assert shim.none_fallbacks == ("get_mlflow_run_url", "retry_with_backoff")
    assert [(r.name, r.imported_from, r.guarded) for r in shim.reexports] == [
        ("get_mlflow_run_url", "infrastructure.tracking.mlflow.urls", True),
        ("retry_with_backoff", "infrastructure.tracking.mlflow.utils", True),
    ]  # TYPE_CHECKING-only imports and `TYPE_CHECKING` itself are not re-exports
    assert shim.pure and not shim.warns


def test_facade_versus_cross_package_shim(tmp_path: Path) -> None:
    shims = shims_by_module(tmp_path)
    facade = shims["orchestration.jobs.tracking.utils"]
    assert facade.is_package_init and facade.facade
    assert {r.imported_from for r in facade.reexports} == {
        "orchestration.jobs.tracking.utils.mlflow_utils",
        "orchestration.jobs.tracking.utils.helpers",
    }
    infra = shims["infrastructure.tracking.mlflow"]
    assert infra.facade and infra.pure  # imports and a docstring only
    helpers = shims["orchestration.jobs.tracking.utils.helpers"]
    assert not helpers.facade and not helpers.is_package_init


def test_star_re_exports_are_expanded_from_the_target(tmp_path: Path) -> None:
    shims = shims_by_module(tmp_path)
    star = shims["orchestration.jobs.tracking.mlflow_star"]
    # the target's __all__ decides
    assert [(r.name, r.star) for r in star.reexports] == [
        ("retry_with_backoff", True),
        ("get_mlflow_run_id", True),
    ]
    nested = shims["orchestration.jobs.tracking.mlflow_utils"]
    # no __all__ in the target: its public names, imports included
    # (``from __future__ import annotations`` binds nothing; TYPE_CHECKING-only imports are
    # not bound at run time; ``TYPE_CHECKING`` itself is a public name of the target)
    assert {r.name for r in nested.reexports} == {
        "TYPE_CHECKING",
        "get_mlflow_run_url",
        "retry_with_backoff",
    }


def test_relative_re_export_is_resolved_to_an_absolute_module(tmp_path: Path) -> None:
    shim = shims_by_module(tmp_path)["orchestration.jobs.tracking.mlflow_helpers"]
    assert shim.reexports == (
        ReExport(
            "create_child_run", "orchestration.jobs.tracking.utils.helpers", "create_child_run", 1
        ),
    )


def test_chains_through_several_shims_end_at_the_definition(tmp_path: Path) -> None:
    codebase = scan(write(tmp_path, TREE))
    shims = find_shims(codebase)
    res = {(r.shim, r.name): r for r in resolve(codebase, shims)}
    helpers = res[("orchestration.jobs.tracking.mlflow_helpers", "create_child_run")]
    assert helpers.chain == (
        "orchestration.jobs.tracking.mlflow_helpers",
        "orchestration.jobs.tracking.utils.helpers",
        "infrastructure.tracking.mlflow",
        "infrastructure.tracking.mlflow.runs",
    )
    assert helpers.definition == Definition(
        "infrastructure.tracking.mlflow.runs", "create_child_run"
    )
    nested = res[("orchestration.jobs.tracking.mlflow_utils", "retry_with_backoff")]
    assert nested.chain == (
        "orchestration.jobs.tracking.mlflow_utils",
        "orchestration.jobs.tracking.utils.mlflow_utils",
        "infrastructure.tracking.mlflow.utils",
    )
    via_facade = res[("orchestration.jobs.tracking.external", "create_child_run")]
    assert via_facade.definition == helpers.definition
    assert len(via_facade.chain) == 5
    # a name from outside the tree, and a cycle
    external = res[("orchestration.jobs.tracking.external", "MlflowClient")]
    assert external.chain[-1] == "mlflow.tracking"
    assert external.definition == Definition("mlflow.tracking", "MlflowClient")  # installed
    cycle = res[("orchestration.cycle_a", "thing")]
    assert cycle.definition is None
    assert cycle.chain == (
        "orchestration.cycle_a",
        "orchestration.cycle_b",
        "orchestration.cycle_a",
    )


def test_resolver_follows_star_imports_and_packages(tmp_path: Path) -> None:
    resolver = make_resolver(scan(write(tmp_path, TREE)))
    utils = "infrastructure.tracking.mlflow.utils"
    assert resolver("infrastructure.tracking.mlflow", "get_mlflow_run_id") == Definition(
        utils, "get_mlflow_run_id"
    )
    assert resolver("orchestration.jobs.tracking.utils", "get_mlflow_run_url") == Definition(
        "infrastructure.tracking.mlflow.urls", "get_mlflow_run_url"
    )
    assert resolver("infrastructure.tracking.mlflow.urls", "BASE") == Definition(
        "infrastructure.tracking.mlflow.urls", "BASE"
    )
    assert resolver("infrastructure.tracking.mlflow.urls", "Final") == Definition("typing", "Final")
    assert resolver("infrastructure.tracking.mlflow", "nothing") is None
    # a submodule is not a Definition
    assert resolver("infrastructure.tracking.mlflow", "urls") is None


def test_a_module_declared_a_shim_can_be_described_anyway(tmp_path: Path) -> None:
    codebase = scan(write(tmp_path, TREE))
    layer = shim_layer(codebase, "orchestration.jobs.tracking.trackers.sweep")
    assert layer is not None and not layer.pure
    assert shim_layer(codebase, "no.such.module") is None
