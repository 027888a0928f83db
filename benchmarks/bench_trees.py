"""The trees the retire benchmark runs on, each with the shim to retire and the tree expected after.

- synthetic: FILES modules under ``src/app/jobs`` (a quarter import through the shim
  ``app.compat.helpers``, one in twenty uses a ``match`` statement fissix cannot parse); the
  expected tree is generated from the same templates with the source module in the imports.
- sympy and django: the sdists of sympy 1.14.0 and Django 5.2 (downloaded once into a cache
  directory with pip), with a deprecated shim planted in front of one module
  (``sympy.core.compat_basic`` before ``sympy.core.basic``, ``django.utils.compat_functional``
  before ``django.utils.functional``): every absolute ``from SOURCE import ...`` whose names are
  all defined there now imports from the shim. Retiring the shim must give back the pristine sdist
  byte for byte.
- a generated module of about 5 MB of simple functions and one import of a shim.

Every tree is a committed git repository (the kit refuses to write a dirty tree).
"""

from __future__ import annotations

import ast
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.batteries.roundtrip_corpus import Package, commit, unpacked
from tests.batteries.roundtrip_plant import defined_names as defined_in

# files the kit adds as its record of a run; they are not part of the comparison
KIT_RECORDS = frozenset({"CHANGELOG.md"})
NOT_COMPARED = frozenset({".git", "__pycache__", ".pytest_cache", ".mypy_cache"})


@dataclass(frozen=True)
class BenchTree:
    """A committed tree with a shim to retire, and the tree that retiring it must give."""

    name: str
    root: Path  # the tree the tools work on (copied before every run)
    expected: Path  # what it must look like once the shim is retired
    src: str  # the import root, relative to ``root``
    shim: str  # the module to retire
    source: str  # the module the shim's names are defined in (Bowler/LibCST rename target)
    plan: str  # text of the ``consolidation_plan.py`` the kit runs with on this tree


def copy_tree(source: Path, destination: Path) -> Path:
    shutil.copytree(source, destination, symlinks=True)
    return destination


def tree_files(root: Path) -> Iterator[Path]:
    """Every file of the tree, git's folder and caches left out: they are not walked at all, as
    a background gc may delete folders in ``.git`` while the walk goes on."""
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = [name for name in subfolders if name not in NOT_COMPARED]
        for name in names:
            path = Path(folder, name)
            if name not in NOT_COMPARED and path.is_file():
                yield path


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file of the tree (git, caches and the kit's records left out) and its bytes."""
    files: dict[str, bytes] = {}
    for path in tree_files(root):
        relative = path.relative_to(root).as_posix()
        if relative not in KIT_RECORDS:
            files[relative] = path.read_bytes()
    return files


def differing(left: dict[str, bytes], right: dict[str, bytes]) -> list[str]:
    """Paths present in only one of two snapshots, or with different bytes."""
    return sorted(path for path in left.keys() | right.keys() if left.get(path) != right.get(path))


def python_files(root: Path) -> list[Path]:
    return sorted(path for path in tree_files(root) if path.suffix == ".py")


# -- synthetic ------------------------------------------------------------------------------------

SYNTHETIC_SHIM = "app.compat.helpers"
SYNTHETIC_SOURCE = "app.core.tools"
PLAIN = '''"""Module {index}."""

from {shim} import (
    build,  # the builder
    measure,
)


def run_{index}(value: int) -> int:
    return measure(build(value)) + {index}
'''
MODERN = '''"""Module {index}: a match statement, which fissix cannot parse."""

from {shim} import build


def run_{index}(value: int) -> int:
    match value:
        case 0:
            return build(0)
        case _:
            return {index}
'''
UNRELATED = '''"""Module {index}: no shim here."""


def run_{index}(value: int) -> int:
    return value * {index}
'''
TOOLS = (
    "def build(value: int) -> int:\n    return value\n\n\n"
    "def measure(value: int) -> int:\n    return value + 1\n"
)
HELPERS = (
    '"""Compatibility layer."""\n\nfrom app.core.tools import build, measure\n\n'
    '__all__ = ["build", "measure"]\n'
)
DEFAULT_PLAN = """from shimkit.domain.plan import Plan

PLAN = Plan(title="benchmark", exclude={exclude!r})
"""


def write_synthetic(root: Path, files: int, shim: str) -> None:
    """The synthetic tree with every importer importing from ``shim``; no shim module when the
    importers import from the source itself (the expected tree)."""
    package = root / "src/app"
    for sub in ("compat", "core", "jobs"):
        (package / sub).mkdir(parents=True)
        (package / sub / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "core/tools.py").write_text(TOOLS)
    if shim != SYNTHETIC_SOURCE:
        (package / "compat/helpers.py").write_text(HELPERS)
    for index in range(files):
        template = MODERN if index % 20 == 0 else PLAIN if index % 4 == 1 else UNRELATED
        (package / f"jobs/job_{index}.py").write_text(template.format(index=index, shim=shim))


def synthetic_tree(workdir: Path, files: int) -> BenchTree:
    root, expected = workdir / "synthetic", workdir / "synthetic-expected"
    write_synthetic(root, files, SYNTHETIC_SHIM)
    write_synthetic(expected, files, SYNTHETIC_SOURCE)
    commit(root, "synthetic tree")
    return BenchTree(
        "synthetic",
        root,
        expected,
        "src",
        SYNTHETIC_SHIM,
        SYNTHETIC_SOURCE,
        DEFAULT_PLAN.format(exclude=()),
    )


# -- real sdists with a planted shim ---------------------------------------------------------------

SYMPY = Package("sympy", "1.14.0", ".", "sympy's __init__ imports nearly everything")
SYMPY_SOURCE = "sympy.core.basic"
SYMPY_SHIM = "sympy.core.compat_basic"
# not Python modules of the package: documentation, release scripts, setup.py
SYMPY_EXCLUDE = ("doc", "bin", "release", "data", "setup.py", "setupegg.py", "isympy.py")
DJANGO = Package("Django", "5.2", ".", "a large package whose modules need settings to import")
DJANGO_SOURCE = "django.utils.functional"
DJANGO_SHIM = "django.utils.compat_functional"
# documentation, JavaScript tests, release scripts and the packaging metadata
DJANGO_EXCLUDE = ("docs", "extras", "js_tests", "scripts", "Django.egg-info", "setup.py")
SHIM_TEMPLATE = '''"""Deprecated: import from :mod:`{source}` (planted by the shimkit benchmark)."""

import warnings

from {source} import {names}

warnings.warn(
    "{shim} is deprecated: import from {source}",
    DeprecationWarning,
    stacklevel=2,
)

__all__ = [{listed}]
'''


def planted_tree(
    cache: Path, package: Package, source: str, shim: str, exclude: tuple[str, ...]
) -> BenchTree:
    """The sdist of ``package`` (downloaded with pip into ``cache`` the first time) with a
    deprecated ``shim`` planted in front of ``source`` (see ``plant_shim``); its expected state is
    the pristine sdist. Both are cached, committed."""
    pristine = cache / f"bench-{package.label}-pristine"
    if not (pristine / ".git").is_dir():
        shutil.rmtree(pristine, ignore_errors=True)
        shutil.copytree(unpacked(cache, package), pristine, symlinks=True)
        commit(pristine, f"{package.label} sdist")
    planted = cache / f"bench-{package.label}-planted"
    if not (planted / ".git").is_dir():
        shutil.rmtree(planted, ignore_errors=True)
        shutil.copytree(pristine, planted, symlinks=True, ignore=shutil.ignore_patterns(".git"))
        plant_shim(planted, source, shim)
        commit(planted, f"plant {shim} in front of {source}")
    plan = DEFAULT_PLAN.format(exclude=exclude)
    return BenchTree(package.name.lower(), planted, pristine, package.src, shim, source, plan)


def sympy_tree(cache: Path) -> BenchTree:
    return planted_tree(cache, SYMPY, SYMPY_SOURCE, SYMPY_SHIM, SYMPY_EXCLUDE)


def django_tree(cache: Path) -> BenchTree:
    return planted_tree(cache, DJANGO, DJANGO_SOURCE, DJANGO_SHIM, DJANGO_EXCLUDE)


def defined_names(module_path: Path) -> frozenset[str]:
    """Names a module binds at top level by def, class or assignment (not by import)."""
    return defined_in(ast.parse(module_path.read_text(encoding="utf-8")))


def plant_shim(root: Path, source: str, shim: str) -> list[str]:
    """Route every absolute ``from source import names`` (all defined in ``source``) through a new
    deprecated ``shim``; returns the importers changed. Only the module path of each statement
    changes, which is exactly what retiring the shim undoes."""
    defined = defined_names(root / (source.replace(".", "/") + ".py"))
    used: set[str] = set()
    changed: list[str] = []
    for path in python_files(root):
        text = path.read_text(encoding="utf-8")
        if source not in text:
            continue
        tree = ast.parse(text)
        offsets = _line_offsets(text)
        spans: list[int] = []
        for node in ast.walk(tree):
            if not (isinstance(node, ast.ImportFrom) and node.level == 0 and node.module == source):
                continue
            names = {alias.name for alias in node.names}
            if not names <= defined:
                continue
            start = offsets[node.lineno - 1] + node.col_offset
            spans.append(text.index(source, start))
            used |= names
        if not spans:
            continue
        for position in sorted(spans, reverse=True):
            text = text[:position] + shim + text[position + len(source) :]
        path.write_bytes(text.encode("utf-8"))
        changed.append(path.relative_to(root).as_posix())
    exported = sorted(used)
    (root / (shim.replace(".", "/") + ".py")).write_text(
        SHIM_TEMPLATE.format(
            source=source,
            shim=shim,
            names=", ".join(exported),
            listed=", ".join(f'"{name}"' for name in exported),
        )
    )
    return changed


def _line_offsets(text: str) -> list[int]:
    """Offset of the start of every line (ast's lines: split on \\n only, as sympy is)."""
    offsets = [0]
    for line in text.split("\n"):
        offsets.append(offsets[-1] + len(line) + 1)
    return offsets


# -- one large generated module -------------------------------------------------------------------

LARGE_SHIM = "app.compat.helpers"


def large_module(size: int) -> str:
    """About ``size`` bytes of simple functions, and one import of a shim at the top."""
    head = f'"""A generated module."""\n\nfrom {LARGE_SHIM} import build\n\n\n'
    chunks = [head]
    total, index = len(head), 0
    while total < size:
        chunk = (
            f"def function_{index}(value: int, scale: int = {index % 7}) -> int:\n"
            f"    total = value * scale + {index}\n"
            f"    if total > {index % 97}:\n"
            f"        return build(total)\n"
            f"    return total - value\n\n\n"
        )
        chunks.append(chunk)
        total += len(chunk)
        index += 1
    return "".join(chunks)
