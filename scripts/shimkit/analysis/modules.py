"""Module names: path <-> dotted name, dotted expressions. Pure. (Relative imports resolve with
``shimkit.domain.imports.resolve_relative``, re-exported here for the analysis layer.)"""

from __future__ import annotations

import ast
from pathlib import PurePosixPath

from shimkit.domain.imports import resolve_relative


def module_name(path: str, src: str) -> str | None:
    """The dotted module of ``path`` (POSIX, relative to the root) under the import root ``src``.

    ``src/a/b.py`` -> ``a.b``; ``src/a/__init__.py`` -> ``a``; None outside ``src`` or when a
    part is not an identifier (such a file cannot be imported by name).
    """
    if not path.endswith(".py"):
        return None
    base = str(PurePosixPath(src)) if src else "."
    if base != ".":
        if not path.startswith(base + "/"):
            return None
        path = path[len(base) + 1 :]
    names = [part for part in path[:-3].split("/") if part not in ("", ".")]
    if names and names[-1] == "__init__":
        names = names[:-1]
    if not names or not all(n.isidentifier() for n in names):
        return None
    return ".".join(names)


def is_package_path(path: str) -> bool:
    return PurePosixPath(path).name == "__init__.py"


def dotted(node: ast.expr) -> str | None:
    """``a.b.c`` for a chain of Name/Attribute nodes, else None."""
    parts: list[str] = []
    cur: ast.expr = node
    while isinstance(cur, ast.Attribute):
        parts.append(cur.attr)
        cur = cur.value
    if not isinstance(cur, ast.Name):
        return None
    parts.append(cur.id)
    return ".".join(reversed(parts))


def package_prefixes(modules: set[str] | frozenset[str]) -> frozenset[str]:
    """Every module plus every package prefix of one (namespace packages included)."""
    out: set[str] = set()
    for m in modules:
        parts = m.split(".")
        for i in range(1, len(parts) + 1):
            out.add(".".join(parts[:i]))
    return frozenset(out)


__all__ = ["dotted", "is_package_path", "module_name", "package_prefixes", "resolve_relative"]
