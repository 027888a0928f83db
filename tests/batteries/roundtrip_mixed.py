"""The mixed-module planting of the round-trip battery (``--mode mixed``).

Into an existing module of a real package that has code of its own (the host), re-exports of
names another module of the package defines (the source) are added as one line (``with_reexport``),
and the absolute from-imports of those names are pointed at the host. Retiring the host's
re-exports must give the pristine tree back byte for byte.

A host is chosen only where that cannot change what imports: it already imports the source at
its top level (so the added line makes no new cycle), it has no re-export of its own yet, and the
planted importers are modules nothing in the package imports at its top level (tests, scripts,
leaf modules), so pointing them at the host makes no cycle either.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass

from tests.batteries.roundtrip_plant import (
    _FROM_MODULE,
    Edit,
    Planted,
    _offset,
    _resolve,
    apply,
    defined_names,
    line_offsets,
    parsed,
)


@dataclass(frozen=True)
class Mixed:
    host: str
    source: str
    names: frozenset[str]


def bound_names(tree: ast.Module) -> frozenset[str]:
    """Every name a module binds or reads anywhere, parameters too: a re-export of such a name would
    read as used by the module itself (the kit keeps it), so none is planted."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):  # a builtin it reads (NotImplemented) counts too
            names.add(node.id)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
    return frozenset(names)


def top_level_imports(tree: ast.Module, module: str, is_package: bool) -> set[str]:
    """The modules (and, for ``from M import x``, ``M.x``) a module imports at its top level."""
    out: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(module, is_package, node.level, node.module)
            if target:
                out.add(target)
                out.update(f"{target}.{alias.name}" for alias in node.names)
    return out


def absolute_from_imports(tree: ast.Module, source: str) -> Iterable[ast.ImportFrom]:
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module == source:
            yield node


def plant_importer(text: str, mixed: Mixed) -> tuple[str, Planted]:
    """``text`` with its absolute from-imports of the re-exported names pointed at the host."""
    out = Planted()
    if mixed.source not in text:
        return text, out
    tree = parsed(text)
    if tree is None:
        return text, out
    offsets = line_offsets(text)
    for node in absolute_from_imports(tree, mixed.source):
        names = {alias.name for alias in node.names}
        if not names <= mixed.names:
            continue
        found = _FROM_MODULE.match(text, _offset(text, offsets, node.lineno, node.col_offset))
        if found is None or found.group(1) != mixed.source:
            continue
        out.edits.append(Edit(found.start(1), found.end(1), mixed.host))
        out.names |= names
        out.forms["mixed from-import"] += 1
    return apply(text, out.edits), out


def reexport_line(source: str, names: Iterable[str]) -> str:
    return f"from {source} import {', '.join(sorted(names))}  # noqa: F401\n"


def with_reexport(text: str, line: str) -> str | None:
    """``text`` with the re-export ``line`` where a person adds one: as a paragraph of its own
    after the module's last top-level import, when a blank line follows that import (removing it
    then needs the blank line it would leave doubled taken too), else at the end. None where
    removing it could not give ``text`` back: no line break at the end, or a blank line there."""
    tree = parsed(text)
    if tree is None or not text.endswith("\n") or "\r" in text:
        return None
    imports = [node for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)]
    if imports and imports[-1].end_lineno is not None:
        offsets = line_offsets(text)
        after = offsets[imports[-1].end_lineno] if imports[-1].end_lineno < len(offsets) else None
        if after is not None and text.startswith("\n", after):
            return text[:after] + "\n" + line + text[after:]
    if text.endswith("\n\n"):
        return None
    return text + line


__all__ = [
    "Mixed",
    "bound_names",
    "defined_names",
    "plant_importer",
    "reexport_line",
    "top_level_imports",
    "with_reexport",
]
