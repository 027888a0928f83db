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
    p = PurePosixPath(path)
    if p.suffix != ".py":
        return None
    base = PurePosixPath(src)
    if str(base) in ("", "."):
        parts = p.parts
    else:
        try:
            parts = p.relative_to(base).parts
        except ValueError:
            return None
    names = [*parts[:-1], p.stem]
    if names[-1] == "__init__":
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
