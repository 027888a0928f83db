"""Static helpers shared by the contract types: find and parse a module's source file.

Nothing here imports the checked code. Only the top-level package is looked up, with
``importlib.util.find_spec``, which for a top-level name consults the finders on
``sys.meta_path`` but does not execute the package.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


def root_package_dirs(root_package: str) -> tuple[Path, ...]:
    """The directories of a top-level package (several for a namespace package), or ()."""
    try:
        spec = importlib.util.find_spec(root_package)
    except (ImportError, ValueError):
        return ()
    if spec is None or spec.submodule_search_locations is None:
        return ()
    return tuple(Path(location) for location in spec.submodule_search_locations)


def _candidates_under(base: Path, parts: list[str]) -> list[Path]:
    """``base/a/b/c/__init__.py`` then ``base/a/b/c.py`` (the order Python's finder uses)."""
    if not parts:
        return [base / "__init__.py"]
    directory = base.joinpath(*parts[:-1])
    return [directory / parts[-1] / "__init__.py", directory / f"{parts[-1]}.py"]


def find_module_file(module: str) -> Path | None:
    """The source file of ``module`` inside its root package, or None if there is none."""
    root, *rest = module.split(".")
    for directory in root_package_dirs(root):
        for candidate in _candidates_under(directory, rest):
            if candidate.is_file():
                return candidate
    return None


def find_module_files_on_path(module: str) -> list[Path]:
    """Every source file that could provide ``module`` or a submodule of it: under its root
    package's directories and under every ``sys.path`` entry, ``a/b/c.py``, or any ``.py`` below
    ``a/b/c/`` (a retired package is gone only when all of it is: a submodule left behind keeps
    ``a.b.c`` importable as a namespace package)."""
    root, *rest = module.split(".")
    bases = [*root_package_dirs(root)]
    parts = [*rest]
    candidates = [candidate for base in bases for candidate in _candidates_under(base, parts)]
    packages = [base.joinpath(*parts) for base in bases if parts]
    for entry in sys.path:
        base = Path(os.path.abspath(entry or os.curdir))
        candidates.extend(_candidates_under(base, [root, *rest]))
        packages.append(base.joinpath(root, *rest))
    for package in packages:
        if package.is_dir():
            candidates.extend(sorted(package.rglob("*.py")))
    found: dict[Path, Path] = {}
    for candidate in candidates:
        if candidate.is_file():
            found.setdefault(candidate.resolve(), candidate)
    return list(found.values())


def display_path(path: Path) -> str:
    """``path`` relative to the current directory when it lies below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def parse_file(path: Path) -> ast.Module:
    """Parse a source file. Raises SyntaxError, ValueError or OSError."""
    return ast.parse(path.read_bytes(), filename=str(path))


def shorten(text: str, limit: int = 100) -> str:
    text = text.strip()
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


def source_line(path: Path, line_number: int) -> str:
    """Line ``line_number`` (1-based) of ``path``, stripped and shortened; "" if unavailable."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    return shorten(lines[line_number - 1]) if 0 < line_number <= len(lines) else ""


@dataclass(frozen=True)
class ImportedName:
    """A module name that an import statement (or ``import_module("...")`` call) may load."""

    name: str
    line_number: int


def resolve_relative(importer: str, is_package: bool, level: int, module: str | None) -> str | None:
    """The absolute name of ``from <level dots><module> import ...`` written in ``importer``; None
    where Python raises ImportError (no parent package, or above the top-level package).

    The contracts cannot import the migration engine, so this is their own copy of
    ``shimkit.domain.imports.resolve_relative``; ``tests/kit/test_relative_imports.py`` holds both
    to one table.
    """
    if level == 0:
        return module
    package = importer.split(".") if is_package else importer.split(".")[:-1]
    climb = level - 1
    if climb >= len(package):
        return None
    base = package[: len(package) - climb]
    return ".".join([*base, *module.split(".")] if module else base)


def _called_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def imported_names(tree: ast.Module, module: str, is_package: bool) -> Iterator[ImportedName]:
    """Every module name that statements anywhere in ``tree`` may import.

    ``import a.b`` gives ``a.b``; ``from a import b, c`` gives ``a``, ``a.b`` and ``a.c`` (``b``
    may be a submodule); relative imports are resolved against ``module``; a call
    ``import_module("a.b")`` or ``__import__("a.b")`` with a literal argument gives ``a.b``.
    """
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield ImportedName(alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = resolve_relative(module, is_package, node.level, node.module)
            else:
                base = node.module
            if base is None:
                continue
            yield ImportedName(base, node.lineno)
            for alias in node.names:
                if alias.name != "*":
                    yield ImportedName(f"{base}.{alias.name}", node.lineno)
        elif (
            isinstance(node, ast.Call)
            and node.args
            and _called_name(node.func) in {"import_module", "__import__"}
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield ImportedName(node.args[0].value, node.lineno)


def names_module(name: str, module: str) -> bool:
    """Whether importing ``name`` loads ``module`` (``name`` is ``module`` or lies inside it)."""
    return name == module or name.startswith(f"{module}.")
