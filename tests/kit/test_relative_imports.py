"""One table for relative-import resolution, held against every copy of the rule: the engine's
(``shimkit.domain.imports``) and the contracts' own (they may not import the engine)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from shimkit.domain.imports import resolve_relative as engine_resolve

from contracts._source import resolve_relative as contracts_resolve

Resolver = Callable[[str, bool, int, "str | None"], "str | None"]

# (importer, is_package, level, module) -> what Python imports, None where it raises ImportError
TABLE: list[tuple[str, bool, int, str | None, str | None]] = [
    ("a.b.c", False, 0, "x.y", "x.y"),
    ("a.b.c", False, 1, "d", "a.b.d"),
    ("a.b.c", False, 1, None, "a.b"),
    ("a.b.c", False, 2, "d", "a.d"),
    ("a.b.c", False, 2, None, "a"),
    ("a.b.c", False, 3, "d", None),
    ("a.b.c", False, 3, None, None),
    ("a.b", True, 1, "c", "a.b.c"),
    ("a.b", True, 1, None, "a.b"),
    ("a.b", True, 2, "c.d", "a.c.d"),
    ("a.b", True, 3, "c", None),
    ("a", True, 1, "b", "a.b"),
    ("a", True, 1, None, "a"),
    ("a", True, 2, "b", None),
    ("a", True, 2, None, None),
    ("a", False, 1, "b", None),  # a top-level module has no parent package
    ("a", False, 1, None, None),
]


@pytest.mark.parametrize(
    "resolve", [engine_resolve, contracts_resolve], ids=["engine", "contracts"]
)
@pytest.mark.parametrize(("importer", "is_package", "level", "module", "expected"), TABLE)
def test_every_copy_follows_the_table(
    resolve: Resolver,
    importer: str,
    is_package: bool,
    level: int,
    module: str | None,
    expected: str | None,
) -> None:
    assert resolve(importer, is_package, level, module) == expected


def test_the_table_is_what_python_does(tmp_path: Path) -> None:
    """Each row, tried for real: a module at ``importer`` runs the relative import."""
    for index, (importer, is_package, level, module, expected) in enumerate(TABLE):
        if level == 0:
            continue
        root = tmp_path / f"case{index}"
        parts = importer.split(".")
        directory = root.joinpath(*(parts if is_package else parts[:-1]))
        directory.mkdir(parents=True)
        for depth in range(1, len(parts) + (1 if is_package else 0)):
            init = root.joinpath(*parts[:depth], "__init__.py")
            init.touch()
        target = (expected or "missing_target").split(".")
        for depth in range(1, len(target) + 1):
            package = root.joinpath(*target[:depth])
            package.mkdir(exist_ok=True)
            (package / "__init__.py").touch()
        (root.joinpath(*target) / "__init__.py").write_text("marker = 1\n", encoding="utf-8")
        statement = "from " + "." * level + (module or "") + " import marker"
        importing = directory / ("__init__.py" if is_package else f"{parts[-1]}.py")
        defined = "marker = 1\n" if importing == root.joinpath(*target, "__init__.py") else ""
        importing.write_text(defined + statement + "\n", encoding="utf-8")
        run = subprocess.run(
            [sys.executable, "-c", f"import importlib; importlib.import_module({importer!r})"],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
        )
        assert (run.returncode == 0) == (expected is not None), textwrap.dedent(
            f"{statement} in {importer} (package={is_package}): {run.stderr}"
        )
