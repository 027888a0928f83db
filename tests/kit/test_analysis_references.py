"""Finding every reference to a shim module, in every form a user writes one."""

from __future__ import annotations

import json
from pathlib import Path

from shimkit.analysis import find_references, scan
from shimkit.domain.model import Area, Context, Reference, ReferenceKind

SHIM = "orchestration.jobs.tracking.utils.mlflow_utils"
DEPRECATED = "orchestration.mlflow_utils"

TREE = {
    "src/infrastructure/__init__.py": "",
    "src/infrastructure/tracking/__init__.py": "",
    "src/infrastructure/tracking/mlflow/__init__.py": "",
    "src/infrastructure/tracking/mlflow/utils.py": "def retry_with_backoff(f):\n    return f\n",
    "src/infrastructure/tracking/mlflow/urls.py": "def get_mlflow_run_url(r):\n    return r\n",
    "src/infrastructure/tracking/mlflow/setup.py": "def setup_mlflow_for_stage(s):\n    pass\n",
    "src/orchestration/__init__.py": ("from .mlflow_utils import setup_mlflow_for_stage\n"),
    "src/orchestration/mlflow_utils.py": (
        "import warnings\n"
        "from infrastructure.tracking.mlflow.setup import setup_mlflow_for_stage\n"
        "warnings.warn('deprecated', DeprecationWarning)\n"
    ),
    "src/orchestration/jobs/__init__.py": "",
    "src/orchestration/jobs/tracking/__init__.py": "",
    "src/orchestration/jobs/tracking/utils/__init__.py": "",
    "src/orchestration/jobs/tracking/utils/mlflow_utils.py": (
        "from infrastructure.tracking.mlflow.urls import get_mlflow_run_url\n"
        "from infrastructure.tracking.mlflow.utils import retry_with_backoff\n"
    ),
    "src/orchestration/jobs/tracking/trackers/__init__.py": "",
    "src/orchestration/jobs/tracking/trackers/sweep.py": (
        "from __future__ import annotations\n"  # 1
        "import typing\n"  # 2
        "from typing import TYPE_CHECKING\n"  # 3
        "from orchestration.jobs.tracking.utils.mlflow_utils import (\n"  # 4
        "    get_mlflow_run_url,  # the url\n"  # 5
        "    retry_with_backoff,\n"  # 6
        ")\n"  # 7
        "from ..utils import mlflow_utils as mu\n"  # 8
        "import orchestration.jobs.tracking.utils.mlflow_utils\n"  # 9
        "import orchestration.jobs.tracking.utils.mlflow_utils as mlu\n"  # 10
        "if TYPE_CHECKING:\n"  # 11
        "    from orchestration.jobs.tracking.utils.mlflow_utils import retry_with_backoff as r\n"
        "if typing.TYPE_CHECKING:\n"  # 13
        "    from ..utils.mlflow_utils import get_mlflow_run_url as g\n"  # 14
        "try:\n"  # 15
        "    from orchestration.mlflow_utils import setup_mlflow_for_stage\n"  # 16
        "except ImportError:\n"  # 17
        "    setup_mlflow_for_stage = None\n"  # 18
        "\n"  # 19
        "def track(stage):\n"  # 20
        "    from orchestration.jobs.tracking.utils.mlflow_utils import retry_with_backoff\n"
        "    if stage == 'hpo':\n"  # 22
        "        return mu.get_mlflow_run_url(stage)\n"  # 23
        "    mlu.retry_with_backoff(None)\n"  # 24
        "    return orchestration.jobs.tracking.utils.mlflow_utils.get_mlflow_run_url(1)\n"
        "\n"  # 26
        "NAME = f'{stage}.orchestration.jobs.tracking.utils.mlflow_utils'\n"  # 27
    ),
    "tests/test_sweep.py": (
        "import importlib\n"  # 1
        "import sys\n"  # 2
        "import warnings\n"  # 3
        "from unittest import mock\n"  # 4
        "import pytest\n"  # 5
        "\n"  # 6
        "@mock.patch('orchestration.jobs.tracking.utils.mlflow_utils.retry_with_backoff')\n"
        "def test_patch(m):\n"  # 8
        "    assert 'orchestration.jobs.tracking.utils.mlflow_utils' in sys.modules\n"  # 9
        "    assert sys.modules['orchestration.jobs.tracking.utils.mlflow_utils']\n"  # 10
        "    assert 'orchestration.jobs.tracking.utils.mlflow_utils.not_exported' != 1\n"  # 11
        "    assert 'hpo' != 'orchestration'\n"  # 12
        "\n"  # 13
        "def test_deprecated_module_warns():\n"  # 14
        "    sys.modules.pop('orchestration.mlflow_utils', None)\n"  # 15
        "    with pytest.warns(DeprecationWarning):\n"  # 16
        "        importlib.import_module('orchestration.mlflow_utils')\n"  # 17
        "\n"  # 18
        "def test_import_inside_warns_block():\n"  # 19
        "    with pytest.deprecated_call():\n"  # 20
        "        from orchestration.mlflow_utils import setup_mlflow_for_stage\n"  # 21
        "\n"  # 22
        "def test_uses_a_name_through_the_shim():\n"  # 23
        "    from orchestration.jobs.tracking.utils.mlflow_utils import get_mlflow_run_url\n"
        "    with warnings.catch_warnings():\n"  # 25
        "        assert get_mlflow_run_url('x')\n"  # 26
        "\n"  # 27
        "def test_patch_object():\n"  # 28
        "    from orchestration.jobs.tracking.utils import mlflow_utils as shim\n"  # 29
        "    with mock.patch.object(shim, 'retry_with_backoff'):\n"  # 30
        "        pass\n"  # 31
    ),
    "scripts/run_sweep.py": (
        "from orchestration.jobs.tracking.utils.mlflow_utils import retry_with_backoff\n"
    ),
}


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    return root


def refs(tmp_path: Path, extra: dict[str, str] | None = None) -> list[Reference]:
    codebase = scan(write(tmp_path, {**TREE, **(extra or {})}))
    return list(find_references(codebase, [SHIM, DEPRECATED]))


def at(found: list[Reference], path: str, line: int) -> list[Reference]:
    return [r for r in found if r.path == path and r.line == line]


def one(found: list[Reference], path: str, line: int) -> Reference:
    hits = at(found, path, line)
    assert len(hits) == 1, hits
    return hits[0]


SWEEP = "src/orchestration/jobs/tracking/trackers/sweep.py"
TEST = "tests/test_sweep.py"


def test_import_forms_in_a_source_module(tmp_path: Path) -> None:
    found = refs(tmp_path)
    multi = one(found, SWEEP, 4)
    assert multi.kind is ReferenceKind.FROM_IMPORT and multi.shim == SHIM
    assert multi.names == ("get_mlflow_run_url", "retry_with_backoff")
    assert multi.contexts == frozenset() and multi.area is Area.SRC
    assert multi.importer == "orchestration.jobs.tracking.trackers.sweep"
    assert multi.text == "from orchestration.jobs.tracking.utils.mlflow_utils import ("
    assert multi.column == 0

    relative_sub = one(found, SWEEP, 8)
    assert relative_sub.kind is ReferenceKind.SUBMODULE_FROM_IMPORT
    assert relative_sub.names == ("get_mlflow_run_url",)  # from `mu.get_mlflow_run_url`

    plain = one(found, SWEEP, 9)
    assert plain.kind is ReferenceKind.MODULE_IMPORT and plain.names == ("get_mlflow_run_url",)
    aliased = one(found, SWEEP, 10)
    assert aliased.kind is ReferenceKind.MODULE_IMPORT and aliased.names == ("retry_with_backoff",)


def test_contexts_type_checking_try_and_function_local(tmp_path: Path) -> None:
    found = refs(tmp_path)
    tc = one(found, SWEEP, 12)
    assert tc.contexts == {Context.TYPE_CHECKING} and tc.names == ("retry_with_backoff",)
    tc_rel = one(found, SWEEP, 14)
    assert tc_rel.kind is ReferenceKind.RELATIVE_FROM_IMPORT and tc_rel.shim == SHIM
    assert tc_rel.contexts == {Context.TYPE_CHECKING}
    guarded = one(found, SWEEP, 16)
    assert guarded.shim == DEPRECATED and guarded.contexts == {Context.TRY_EXCEPT_IMPORT_ERROR}
    local = one(found, SWEEP, 21)
    assert local.contexts == {Context.FUNCTION_LOCAL}
    assert local.text == (
        "from orchestration.jobs.tracking.utils.mlflow_utils import retry_with_backoff"
    )


def test_words_and_f_strings_are_not_references(tmp_path: Path) -> None:
    found = refs(tmp_path)
    assert at(found, SWEEP, 22) == [] and at(found, SWEEP, 27) == []
    assert at(found, TEST, 11) == []  # not a name the shim exports
    assert at(found, TEST, 12) == []  # 'hpo', 'orchestration'
    assert {r.kind for r in found if r.path == SWEEP} != {ReferenceKind.STRING}


def test_relative_import_in_a_package_init(tmp_path: Path) -> None:
    ref = one(refs(tmp_path), "src/orchestration/__init__.py", 1)
    assert ref.shim == DEPRECATED and ref.kind is ReferenceKind.RELATIVE_FROM_IMPORT
    assert ref.contexts == {Context.PACKAGE_INIT} and ref.names == ("setup_mlflow_for_stage",)
    assert ref.importer == "orchestration"


def test_string_references_in_tests(tmp_path: Path) -> None:
    found = refs(tmp_path)
    patch = one(found, TEST, 7)
    assert patch.kind is ReferenceKind.STRING and patch.names == ("retry_with_backoff",)
    assert patch.area is Area.TESTS and not patch.exercises_shim
    assert one(found, TEST, 9).names == () and one(found, TEST, 10).names == ()
    imported = one(found, TEST, 17)
    assert imported.kind is ReferenceKind.STRING and imported.shim == DEPRECATED
    assert imported.contexts == {Context.FUNCTION_LOCAL}


def test_tests_about_the_shim_itself_are_marked(tmp_path: Path) -> None:
    found = refs(tmp_path)
    assert one(found, TEST, 17).exercises_shim  # import_module under pytest.warns
    assert one(found, TEST, 15).exercises_shim  # sys.modules.pop('...') in that test
    assert one(found, TEST, 21).exercises_shim  # imported inside deprecated_call()
    # uses a name through the shim: not about the shim, even with catch_warnings around
    assert not one(found, TEST, 24).exercises_shim
    # patch.object on the module counts as an attribute use of it
    patched = one(found, TEST, 29)
    assert patched.kind is ReferenceKind.SUBMODULE_FROM_IMPORT
    assert patched.names == ("retry_with_backoff",) and not patched.exercises_shim


def test_scripts_and_areas(tmp_path: Path) -> None:
    found = refs(tmp_path)
    script = one(found, "scripts/run_sweep.py", 1)
    assert script.area is Area.SCRIPTS and script.importer is None
    # the shims' own files do not reference themselves here, but other files all do
    assert {r.area for r in found} == {Area.SRC, Area.TESTS, Area.SCRIPTS}


def test_notebook_cells(tmp_path: Path) -> None:
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": ["# hi\n"]},
        {
            "cell_type": "code",
            "metadata": {},
            "execution_count": None,
            "outputs": [],
            "source": [
                "%load_ext autoreload\n",
                "%autoreload 2\n",
                f"from {SHIM} import retry_with_backoff\n",
            ],
        },
        {
            "cell_type": "code",
            "metadata": {},
            "execution_count": None,
            "outputs": [],
            "source": [
                "!pip list\n",
                f"import {DEPRECATED} as dep\n",
                "dep.setup_mlflow_for_stage('hpo')",
            ],
        },
    ]
    nb = json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    found = [r for r in refs(tmp_path, {"notebooks/explore.ipynb": nb}) if r.path.endswith("ipynb")]
    assert [(r.cell, r.line, r.kind, r.shim, r.names) for r in found] == [
        (1, 3, ReferenceKind.NOTEBOOK, SHIM, ("retry_with_backoff",)),
        (2, 2, ReferenceKind.NOTEBOOK, DEPRECATED, ("setup_mlflow_for_stage",)),
    ]
    assert found[0].area is Area.NOTEBOOKS
    assert found[0].text == f"from {SHIM} import retry_with_backoff"


def test_references_to_a_module_already_deleted_are_still_found(tmp_path: Path) -> None:
    gone = "orchestration.jobs.tracking.mlflow_helpers"
    codebase = scan(
        write(
            tmp_path,
            {
                "src/app.py": f"from {gone} import create_child_run\n",
                "tests/test_app.py": f"PATCH = '{gone}.create_child_run'\n",
            },
        )
    )
    found = find_references(codebase, [gone])
    assert [(r.path, r.kind) for r in found] == [
        ("src/app.py", ReferenceKind.FROM_IMPORT),
        ("tests/test_app.py", ReferenceKind.STRING),
    ]


def test_a_parent_package_import_is_not_a_reference_to_the_shim(tmp_path: Path) -> None:
    codebase = scan(
        write(
            tmp_path,
            {
                **TREE,
                "src/other.py": (
                    "from orchestration.jobs.tracking import utils\n"
                    "from orchestration.jobs.tracking.utils import mlflow_utils\n"
                ),
            },
        )
    )
    utils = "orchestration.jobs.tracking.utils"
    found = [r for r in find_references(codebase, [utils, SHIM]) if r.path == "src/other.py"]
    assert [(r.line, r.shim, r.kind) for r in found] == [
        (1, utils, ReferenceKind.SUBMODULE_FROM_IMPORT),
        (2, SHIM, ReferenceKind.SUBMODULE_FROM_IMPORT),  # not also "name mlflow_utils of utils"
    ]


def test_a_string_spelling_the_module_with_escapes_is_still_found(tmp_path: Path) -> None:
    # the text never shows "mlflow_utils", so no cheap look at the text may skip this file
    escaped = 'PATCHED = "orchestration.mlflow_\\x75tils.setup_mlflow_for_stage"\n'
    found = refs(tmp_path, {"tests/test_escaped.py": escaped})
    ref = one(found, "tests/test_escaped.py", 1)
    assert ref.kind is ReferenceKind.STRING
    assert ref.shim == DEPRECATED
    assert ref.names == ("setup_mlflow_for_stage",)


def test_a_parameter_named_like_the_module_adds_none_of_its_attributes(tmp_path: Path) -> None:
    user = "src/app/report.py"
    found = refs(
        tmp_path,
        {
            "src/app/__init__.py": "",
            user: (
                "from orchestration.jobs.tracking.utils import mlflow_utils\n"
                "mlflow_utils.get_mlflow_run_url(1)\n"
                "def show(mlflow_utils):\n"
                "    return mlflow_utils.render()\n"
                "for mlflow_utils in []:\n"
                "    mlflow_utils.paint()\n"
            ),
        },
    )
    assert one(found, user, 1).names == ("get_mlflow_run_url",)
