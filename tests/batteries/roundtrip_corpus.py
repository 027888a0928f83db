"""The round-trip battery's corpus: real sdists at pinned versions, and the interpreter's ``Lib/``.

Each tree is unpacked from ``pip download --no-deps --no-binary :all: NAME==VERSION`` (into
``CACHE/download``, once), gets a notebook made of one of its test files (a package rarely ships
notebooks that import it) and a small check test the kit's verification runs, and is committed:
that commit is the pristine state every round trip must give back.
"""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
import sysconfig
import tarfile
from dataclasses import dataclass
from pathlib import Path

GIT_IDENTITY = ("-c", "user.name=battery", "-c", "user.email=battery@example.invalid")
PRISTINE = "pristine"
CHECKS = "battery_checks"
NOTEBOOKS = "battery_notebooks"


@dataclass(frozen=True)
class Package:
    """A tree of the corpus and what it brings."""

    name: str  # the distribution, for pip; "stdlib" for the interpreter's own Lib/
    version: str
    src: str  # the import root, relative to the tree
    style: str  # why it is in the corpus
    # whether a module of it imports on its own here, for a planted regression to hang on
    hosts_regressions: bool = True

    @property
    def label(self) -> str:
        return f"{self.name}-{self.version}"


STDLIB = Package(
    "stdlib",
    f"{sys.version_info.major}.{sys.version_info.minor}",
    "Lib",
    "json and email packages with their tests, and test modules invalid on purpose",
)
CORPUS: tuple[Package, ...] = (
    Package("attrs", "26.1.0", "src", "facade package attrs over attr, private names"),
    Package("click", "8.5.1", "src", "relative imports, decorators"),
    Package("docutils", "0.23", ".", "deep relative imports, test data that does not parse"),
    Package("emcee", "3.1.6", "src", "relative imports, numpy"),
    Package("flask", "3.1.3", "src", "facade re-exporting submodules, examples/, mock.patch"),
    Package("h11", "0.16.0", ".", "setup.py at the import root: it exits when imported"),
    Package("idna", "3.21", ".", "tests importing the package in functions, chains to modules"),
    Package("jinja2", "3.1.6", "src", "relative imports, TYPE_CHECKING, private names"),
    Package("marshmallow", "4.4.0", "src", "facade, TYPE_CHECKING imports"),
    Package("more_itertools", "11.2.1", ".", "star imports with __all__ in the facade"),
    Package("packaging", "26.3", "src", "private modules, absolute imports"),
    Package(
        "papermill", "2.7.0", ".", "ships notebooks, mock.patch strings in tests", False
    ),  # nbformat is not installed: none of its modules imports
    Package("pluggy", "1.7.0", "src", "private modules, testing/ folder"),
    Package("pyparsing", "3.3.3", ".", "star imports without __all__, examples/"),
    Package("requests", "2.34.2", "src", "compat modules, mock.patch strings"),
    Package("rich", "15.0.0", ".", "absolute and relative imports, docstring examples"),
    Package("toolz", "1.2.0", ".", "curried facade, star imports, tlz alias package"),
    Package("werkzeug", "3.1.9", "src", "src layout with examples/, decorators"),
    STDLIB,
)


def git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(root), *GIT_IDENTITY, *args], check=True, capture_output=True, text=True
    )
    return done.stdout


def commit(root: Path, message: str) -> str:
    if not (root / ".git").exists():
        git(root, "init", "-q", "-b", "main")
        git(root, "config", "gc.auto", "0")
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "--no-verify", "-m", message)
    return git(root, "rev-parse", "HEAD").strip()


def sdist(cache: Path, package: Package) -> Path:
    """The sdist archive, downloaded with pip the first time."""
    download = cache / "download"
    stem = f"{package.name.replace('-', '_')}-{package.version}"
    found = sorted(download.glob(f"{stem}.tar.gz")) + sorted(download.glob(f"{stem}.zip"))
    if not found:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
             f"{package.name}=={package.version}", "-d", str(download)],
            check=True, capture_output=True,
        )  # fmt: skip
        found = sorted(download.glob(f"{stem}.tar.gz")) + sorted(download.glob(f"{stem}.zip"))
    if not found:
        raise SystemExit(f"error: pip gave no sdist {stem}.tar.gz in {download}")
    return found[0]


def unpack(archive: Path, destination: Path) -> None:
    scratch = destination.with_name(destination.name + ".unpacking")
    shutil.rmtree(scratch, ignore_errors=True)
    with tarfile.open(archive) as opened:
        opened.extractall(scratch, filter="data")
    (top,) = list(scratch.iterdir())
    top.rename(destination)
    scratch.rmdir()


STDLIB_PARTS = ("json", "email", "test/test_json")
STDLIB_FILES = ("test/__init__.py", "test/badsyntax_3131.py", "test/badsyntax_pep3120.py")


def copy_stdlib(destination: Path) -> None:
    """The running interpreter's json and email packages and json's tests, with two test
    modules of CPython that are invalid on purpose."""
    lib = Path(sysconfig.get_paths()["stdlib"])
    ignore = shutil.ignore_patterns("__pycache__")
    for part in STDLIB_PARTS:
        shutil.copytree(lib / part, destination / "Lib" / part, ignore=ignore)
    for name in STDLIB_FILES:
        (destination / "Lib" / name).parent.mkdir(parents=True, exist_ok=True)
        if (lib / name).exists():
            shutil.copy2(lib / name, destination / "Lib" / name)


def notebook_of(text: str) -> str | None:
    """A notebook whose code cells are the top-level statements of a Python file."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return None
    lines = text.splitlines(keepends=True)
    cells: list[dict[str, object]] = []
    for node in tree.body:
        first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
        body = "".join(lines[first - 1 : node.end_lineno]).rstrip("\n")
        source = body.splitlines(keepends=True)
        cells.append(
            {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
             "source": source}
        )  # fmt: skip
    notebook = {
        "cells": cells,
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                    "name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }  # fmt: skip
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


def add_notebook(root: Path, test_file: Path) -> None:
    text = notebook_of(test_file.read_text(encoding="utf-8"))
    if text is not None:
        folder = root / NOTEBOOKS
        folder.mkdir(exist_ok=True)
        (folder / (test_file.stem + ".ipynb")).write_text(text, encoding="utf-8")


def add_checks(root: Path, modules: list[str]) -> None:
    """The test the kit's verification runs: every module the shims stand in front of imports."""
    folder = root / CHECKS
    folder.mkdir(exist_ok=True)
    listed = "".join(f"    {module!r},\n" for module in modules)
    (folder / "test_battery_imports.py").write_text(
        '"""Planted by the round-trip battery: the modules its shims stand in front of import."""\n'
        "\nimport importlib\n\nimport pytest\n\nMODULES = [\n"
        f"{listed}]\n\n\n"
        '@pytest.mark.parametrize("module", MODULES)\n'
        "def test_module_imports(module: str) -> None:\n"
        "    assert importlib.import_module(module).__name__ == module\n",
        encoding="utf-8",
    )


def unpacked(cache: Path, package: Package) -> Path:
    """The tree as released (or copied from ``Lib/``), not yet committed."""
    root = cache / "unpacked" / package.label
    if not root.exists():
        root.parent.mkdir(parents=True, exist_ok=True)
        if package is STDLIB or package.name == "stdlib":
            copy_stdlib(root)
        else:
            unpack(sdist(cache, package), root)
    return root


__all__ = [
    "CHECKS",
    "CORPUS",
    "NOTEBOOKS",
    "PRISTINE",
    "STDLIB",
    "Package",
    "add_checks",
    "add_notebook",
    "commit",
    "git",
    "notebook_of",
    "unpacked",
]
