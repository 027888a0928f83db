"""rewrite_source keeps an importer's relative style: a relative import whose new module lies in
the package its level reaches stays relative at that level (the round-trip battery found every
``from .old import a`` of a real package turned absolute); one whose module lies outside becomes
absolute."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from kit_helpers import commit_all, run_script, write_tree
from shimkit.domain.model import Moves
from shimkit.rewrite import rewrite_source

INSIDE = Moves(names={("app.jobs.old", "a"): "app.jobs.new", ("app.jobs.old", "b"): "app.jobs.new"})
OUTSIDE = Moves(names={("app.jobs.old", "a"): "lib.core"})


def rewrite(text: str, moves: Moves, importer: str, is_package: bool = False) -> str:
    source = textwrap.dedent(text)
    outcome = rewrite_source(source, "src/app/x.py", moves, importer, is_package)
    again = rewrite_source(outcome.text, "src/app/x.py", moves, importer, is_package)
    assert again.text == outcome.text, "rewriting twice must be a no-op"
    return outcome.text


@pytest.mark.parametrize(
    ("importer", "is_package", "before", "after"),
    [
        ("app.jobs.runner", False, "from .old import a\n", "from .new import a\n"),
        ("app.jobs", True, "from .old import a, b\n", "from .new import a, b\n"),
        (
            "app.jobs.runner",
            False,
            "from ..jobs.old import a as c\n",
            "from ..jobs.new import a as c\n",
        ),
        ("app.other.user", False, "from ..jobs.old import b\n", "from ..jobs.new import b\n"),
        (
            "app.jobs.runner",
            False,
            "def f():\n    from .old import (\n        a,  # first\n    )\n    return a\n",
            "def f():\n    from .new import (\n        a,  # first\n    )\n    return a\n",
        ),
    ],
)
def test_a_relative_import_into_the_same_package_stays_relative(
    importer: str, is_package: bool, before: str, after: str
) -> None:
    assert rewrite(before, INSIDE, importer, is_package) == after


def test_a_relative_import_whose_names_leave_the_package_becomes_absolute() -> None:
    assert rewrite("from .old import a\n", OUTSIDE, "app.jobs.runner") == "from lib.core import a\n"


def test_a_try_fallback_between_relative_and_absolute_spellings_collapses() -> None:
    before = "try:\n    from .old import a\nexcept ImportError:\n    from app.jobs.old import a\n"
    assert rewrite(before, INSIDE, "app.jobs.runner") == "from .new import a\n"


TEST_PACKAGE = {
    "pyproject.toml": '[tool.pytest.ini_options]\npythonpath = ["src"]\n',
    "src/app/__init__.py": "",
    "src/app/core.py": "def make() -> int:\n    return 1\n",
    "src/app/old.py": '"""A re-export layer."""\n\nfrom app.core import make\n',
    "tests/__init__.py": "",
    "tests/helpers.py": "VALUE = 1\n",
    "tests/test_make.py": (
        "from .helpers import VALUE\nfrom app.old import make\n\n\n"
        "def test_make() -> None:\n    assert make() == VALUE\n"
    ),
}


@pytest.mark.slow
def test_a_test_package_with_relative_imports_outside_the_import_root_is_rewritten(
    tmp_path: Path,
) -> None:
    """``from .helpers import VALUE`` in ``tests/`` does not resolve from the import root; the
    rewrite leaves it alone, so it does not keep the layer (the round-trip battery found attrs,
    marshmallow and packaging refused for it)."""
    root = write_tree(tmp_path / "tree", TEST_PACKAGE)
    commit_all(root)
    done = run_script("retire_shims.py", root, "app.old", "--write")
    assert done.returncode == 0, done.stdout + done.stderr
    assert not (root / "src/app/old.py").exists()
    assert (
        (root / "tests/test_make.py")
        .read_text()
        .startswith("from .helpers import VALUE\nfrom app.core import make\n")
    )
