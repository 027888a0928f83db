"""The shape of the engine: per package, its internal import arrows and how deep its internal
layering goes; the longest function and how many functions run over 60 lines.

    PYTHONPATH=scripts python benchmarks/engine_shape.py
"""

from __future__ import annotations

import ast
import sys
from functools import cache
from pathlib import Path

import grimp

ENGINE = "shimkit"
LONG = 60


def _package_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 else None


def internal_shape(graph: grimp.ImportGraph, package: str) -> tuple[int, int, int]:
    """(modules, import arrows between them, longest chain of arrows) inside ``package``."""
    prefix = f"{ENGINE}.{package}."
    modules = {m for m in graph.modules if m.startswith(prefix)}
    arrows = {
        (importer, imported)
        for importer in modules
        for imported in graph.find_modules_directly_imported_by(importer)
        if imported in modules and imported != importer
    }
    above: dict[str, set[str]] = {m: set() for m in modules}
    for importer, imported in arrows:
        above[importer].add(imported)

    @cache
    def depth(module: str, seen: frozenset[str] = frozenset()) -> int:
        below = [m for m in above[module] if m not in seen]
        return 1 + max((depth(m, seen | {module}) for m in below), default=0)

    return len(modules), len(arrows), max((depth(m) for m in modules), default=0)


def function_lengths(root: Path) -> list[tuple[int, str]]:
    lengths = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                size = (node.end_lineno or node.lineno) - node.lineno + 1
                lengths.append((size, f"{path.relative_to(root.parent)}:{node.name}"))
    return sorted(lengths, reverse=True)


def main() -> None:
    scripts = Path(__file__).resolve().parent.parent / "scripts"
    sys.path.insert(0, str(scripts))
    graph = grimp.build_graph(ENGINE, cache_dir=None)
    packages = sorted({p for m in graph.modules if (p := _package_of(m))})
    print(f"{'package':<12} {'modules':>7} {'arrows':>7} {'depth':>6}")
    for package in packages:
        modules, arrows, depth = internal_shape(graph, package)
        print(f"{package:<12} {modules:>7} {arrows:>7} {depth:>6}")
    lengths = function_lengths(scripts / ENGINE)
    print(f"longest function: {lengths[0][0]} lines ({lengths[0][1]})")
    print(f"functions over {LONG} lines: {sum(1 for size, _ in lengths if size > LONG)}")


if __name__ == "__main__":
    main()
