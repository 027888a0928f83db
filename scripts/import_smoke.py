"""Import every module under src/ in a fresh interpreter (the tox ``import-smoke`` env).

    python scripts/import_smoke.py [--root .] [--src src] [--jobs N]

A module fails when it does not import, when importing it issues a DeprecationWarning from a
project file, or when a name it re-exports is None or missing. Exit status: 0 all fine, 1 some
module failed, 2 bad input.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from shimkit.verify.import_smoke import SmokeReport, smoke_modules

PROGRESS_THRESHOLD = 20


def discover_modules(src_dir: Path) -> list[str]:
    """Dotted names of every module under ``src_dir``: ``pkg/__init__.py`` -> ``pkg``,
    ``pkg/mod.py`` -> ``pkg.mod``. Skips ``__pycache__``, hidden dirs, ``__main__`` modules and
    names that are not identifiers."""
    modules: list[str] = []
    for dirpath, dirnames, filenames in os.walk(src_dir):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if d.isidentifier() and d != "__pycache__")
        parts = here.relative_to(src_dir).parts
        for name in sorted(filenames):
            stem, dot, suffix = name.rpartition(".")
            if not dot or suffix != "py" or not stem.isidentifier() or stem == "__main__":
                continue
            dotted = parts if stem == "__init__" else (*parts, stem)
            if dotted:
                modules.append(".".join(dotted))
    return sorted(modules)


def _from_analysis(root: Path, src: str) -> dict[str, list[str]] | None:
    """Re-exported names per shim module, from ``shimkit.analysis`` when it is available."""
    try:
        package = importlib.import_module("shimkit.analysis")
        scan: Callable[..., Any] | None = getattr(package, "scan", None)
        find_shims: Callable[..., Any] | None = getattr(package, "find_shims", None)
        if scan is None or find_shims is None:
            scan = importlib.import_module("shimkit.analysis.sources").scan
            find_shims = importlib.import_module("shimkit.analysis.reexports").find_shims
        shims = find_shims(scan(root, src, areas=()))
    except (ImportError, AttributeError, TypeError):  # not available (yet): fall back
        return None
    names: dict[str, list[str]] = {}
    for shim in shims:
        found = [r.name for r in shim.reexports if not r.star] + list(shim.none_fallbacks)
        names[shim.module] = list(dict.fromkeys(found))
    return names


def _guarded_imports(body: Sequence[ast.stmt]) -> Iterator[str]:
    for node in body:
        if isinstance(node, ast.ImportFrom) and node.module != "__future__":
            yield from (alias.asname or alias.name for alias in node.names if alias.name != "*")
        elif isinstance(node, ast.Try):
            yield from _guarded_imports(node.body)
            for handler in node.handlers:
                yield from _guarded_imports(handler.body)


def _static_reexports(path: Path) -> list[str]:
    """Fallback: names imported at top level (also inside try/except) and names in ``__all__``."""
    try:
        tree = ast.parse(path.read_bytes())
    except (SyntaxError, ValueError, OSError):
        return []
    names = list(_guarded_imports(tree.body))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                continue
            if isinstance(value, list | tuple):
                names += [str(v) for v in value]
    return list(dict.fromkeys(names))


def discover_reexports(root: Path, src: str, modules: Sequence[str]) -> dict[str, list[str]]:
    found = _from_analysis(root, src)
    if found is not None:
        return found
    src_dir = root / src
    result: dict[str, list[str]] = {}
    for module in modules:
        base = src_dir.joinpath(*module.split("."))
        path = base / "__init__.py" if base.is_dir() else base.with_suffix(".py")
        names = _static_reexports(path)
        if names:
            result[module] = names
    return result


def _report(console: Console, report: SmokeReport) -> None:
    total = len(report.results)
    if report.ok:
        console.print(f"import smoke: OK ({total} modules imported cleanly)")
        return
    table = Table(title=f"import smoke: {len(report.failures)} of {total} modules failed")
    table.add_column("Module", style="bold")
    table.add_column("Outcome", style="red")
    table.add_column("Where")
    table.add_column("Message", overflow="fold")
    for result in report.failures:
        where = f"{result.path}:{result.line}" if result.path and result.line else result.path
        table.add_row(result.module, result.outcome.value, where or "", result.message)
    console.print(table)


def _run(
    root: Path, src: str, modules: list[str], names: Mapping[str, list[str]], jobs: int
) -> SmokeReport:
    if len(modules) <= PROGRESS_THRESHOLD:
        return smoke_modules(root, src, modules, names, jobs=jobs)
    progress = Progress(
        TextColumn("importing modules"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    with progress:
        task = progress.add_task("import", total=len(modules))

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        return smoke_modules(root, src, modules, names, jobs=jobs, on_progress=advance)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--root", default=".", help="repository root (default: .)")
    parser.add_argument("--src", default="src", help="import root, relative to --root")
    parser.add_argument(
        "--jobs", type=int, default=max(2, min(8, os.cpu_count() or 2)), help="parallel imports"
    )
    args = parser.parse_args(argv)
    root = Path(args.root).resolve()
    if not root.is_dir():
        print(f"error: root is not a directory: {args.root}", file=sys.stderr)
        return 2
    if not (root / args.src).is_dir():
        print(f"error: source directory not found: {root / args.src}", file=sys.stderr)
        return 2
    if args.jobs < 1:
        print("error: --jobs must be at least 1", file=sys.stderr)
        return 2
    modules = discover_modules(root / args.src)
    if not modules:
        print(f"import smoke: OK (no modules under {args.src})")
        return 0
    names = discover_reexports(root, args.src, modules)
    report = _run(root, args.src, modules, names, args.jobs)
    _report(Console(), report)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
