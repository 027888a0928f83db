"""How fast the kit's import checks are, against the floor of forking and importing, in one run.

    python benchmarks/import_checks.py [--modules 300] [--jobs N] [--fresh-sample 24] [--repeat 3]

On (a) a synthetic tree of MODULES modules that import mlflow (generated in a temporary
directory) and (b) the bundled legacy tree, side by side:

- kit, fork: ``smoke_modules`` in fork mode (a server loads what the modules import outside the
  project, then forks a child per module that imports it and records warnings);
- floor: a minimal script that imports the same third-party modules, then forks a child per
  module that only imports it, as many at once (target: the kit within 1.5x of it);
- kit, fresh: one fresh interpreter per module (target: fork mode at least 5x faster). On the
  synthetic tree it runs on a sample of modules and is scaled to all of them.

Fork and floor run ``--repeat`` times, alternating, and the fastest run of each counts (the
machine may be shared). Wall and CPU time (this process and every child it waited for) are printed
as a rich table, with ratios: compare ratios across machines, not seconds. Also the static import
graph's build time as a ratio to parsing the tree.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from rich.console import Console
from rich.table import Table
from shimkit.analysis import import_graph, scan
from shimkit.verify import ImportMode, smoke_modules

REPO = Path(__file__).resolve().parents[1]

# Forks a child per module, ``jobs`` at a time, after importing the preload list; nothing else.
FLOOR = r"""
import importlib, json, os, sys

request = json.load(sys.stdin)
for name in request["preload"]:
    try:
        importlib.import_module(name)
    except BaseException:
        pass
running = 0
for module in request["modules"]:
    if running >= request["jobs"]:
        os.wait()
        running -= 1
    if os.fork() == 0:
        try:
            importlib.import_module(module)
        finally:
            os._exit(0)
    running += 1
while running:
    os.wait()
    running -= 1
"""

IMPORT_STYLES = (
    "import mlflow\n",
    "from mlflow.tracking import MlflowClient\n",
    "from mlflow.entities import Run, RunStatus\n",
    "import mlflow\nfrom mlflow.exceptions import MlflowException\n",
)
MODULE = '''"""Synthetic module {index}."""

{imports}{project}

def job_{index}(value: int) -> int:
    return value + {index}
'''


def build_tree(root: Path, modules: int) -> None:
    """``modules`` modules in packages of 20, each importing mlflow (four styles), most importing
    an earlier module of the tree, and one deprecated shim imported by a few."""
    src = root / "src" / "mlapp"
    src.mkdir(parents=True)
    (src / "__init__.py").write_text("")
    (src / "compat.py").write_text(
        "import warnings\n\nwarnings.warn('mlapp.compat is deprecated', DeprecationWarning, "
        "stacklevel=2)\nfrom mlapp.pkg_0.mod_0 import job_0\n"
    )
    for index in range(modules):
        package = src / f"pkg_{index // 20}"
        if not package.exists():
            package.mkdir()
            (package / "__init__.py").write_text("")
        if index % 50 == 49:
            project = "from mlapp.compat import job_0\n"
        elif index % 3 and index:
            earlier = index - 1 - (index % 7) if index > 7 else 0
            project = f"from mlapp.pkg_{earlier // 20}.mod_{earlier} import job_{earlier}\n"
        else:
            project = ""
        text = MODULE.format(
            index=index, imports=IMPORT_STYLES[index % len(IMPORT_STYLES)], project=project
        )
        (package / f"mod_{index}.py").write_text(text)


def build_legacy(root: Path) -> None:
    subprocess.run(
        [sys.executable, str(REPO / "tests/fixtures/build_legacy.py"), str(root)],
        check=True,
        capture_output=True,
    )


@dataclass(frozen=True)
class Timing:
    wall: float
    cpu: float  # this process and every waited-for descendant, user + system


def measured(action: Callable[[], object]) -> Timing:
    def cpu() -> float:
        own = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime

    cpu_before, wall_before = cpu(), time.perf_counter()
    action()
    return Timing(time.perf_counter() - wall_before, cpu() - cpu_before)


def floor(root: Path, modules: Sequence[str], preload: Sequence[str], jobs: int) -> None:
    env = {**os.environ, "PYTHONPATH": str(root / "src"), "PYTHONDONTWRITEBYTECODE": "1"}
    request = json.dumps({"preload": list(preload), "modules": list(modules), "jobs": jobs})
    subprocess.run(
        [sys.executable, "-P", "-c", FLOOR],
        input=request,
        text=True,
        cwd=root,
        env=env,
        check=True,
        capture_output=True,
    )


@dataclass(frozen=True)
class TreeResult:
    name: str
    modules: int
    fork: Timing
    floor: Timing
    fresh: Timing
    fresh_sampled: int  # modules the fresh run imported (scaled to ``modules``)
    same_outcomes: bool  # fork and fresh agree on the sampled modules


def fastest(timings: Sequence[Timing]) -> Timing:
    return min(timings, key=lambda timing: timing.wall)


def compare(name: str, root: Path, jobs: int, fresh_sample: int, repeat: int) -> TreeResult:
    codebase = scan(root)
    modules = [m for m in codebase.modules if not m.endswith("__main__")]
    preload = import_graph(codebase).external_imports(modules)
    reports = {}

    def kit(mode: ImportMode, chosen: Sequence[str]) -> None:
        reports[mode] = smoke_modules(root, "src", chosen, jobs=jobs, mode=mode, preload=preload)

    floor(root, modules[:1], preload, jobs)  # warm the file cache for whichever runs first
    forks: list[Timing] = []
    floors: list[Timing] = []
    for attempt in range(max(1, repeat)):
        pair = [
            (forks, lambda: kit(ImportMode.FORK, modules)),
            (floors, lambda: floor(root, modules, preload, jobs)),
        ]
        for timings, action in pair if attempt % 2 == 0 else reversed(pair):
            timings.append(measured(action))
    fork, floor_time = fastest(forks), fastest(floors)
    sample = modules if fresh_sample <= 0 else modules[:: max(1, len(modules) // fresh_sample)]
    fresh = measured(lambda: kit(ImportMode.FRESH, sample))
    scale = len(modules) / len(sample)
    fork_by_module = {r.module: (r.outcome, r.message) for r in reports[ImportMode.FORK].results}
    same = all(
        fork_by_module[r.module] == (r.outcome, r.message)
        for r in reports[ImportMode.FRESH].results
    )
    return TreeResult(
        name,
        len(modules),
        fork,
        floor_time,
        Timing(fresh.wall * scale, fresh.cpu * scale),
        len(sample),
        same,
    )


def graph_speed(root: Path) -> tuple[float, float]:
    """Seconds to build the import graph of ``root``, and to ``ast.parse`` its files."""
    codebase = scan(root)
    texts = [f.text for f in codebase.files if f.tree is not None]
    parse = measured(lambda: [ast.parse(text) for text in texts]).wall
    graph = measured(lambda: import_graph(codebase)).wall
    return graph, parse


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--modules", type=int, default=300, help="synthetic tree size")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--fresh-sample",
        type=int,
        default=24,
        help="modules of the synthetic tree imported in fresh interpreters (0: all)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs of fork and floor each")
    args = parser.parse_args(argv)
    console = Console(width=None if sys.stdout.isatty() else 120)
    results = []
    with tempfile.TemporaryDirectory() as temp:
        synthetic, legacy = Path(temp) / "synthetic", Path(temp) / "legacy"
        build_tree(synthetic, args.modules)
        build_legacy(legacy)
        graph, parse = graph_speed(synthetic)
        results.append(
            compare("synthetic (mlflow)", synthetic, args.jobs, args.fresh_sample, args.repeat)
        )
        results.append(compare("legacy", legacy, args.jobs, 0, args.repeat))

    table = Table(title=f"Import checks, {args.jobs} at a time (CPU: this process + children)")
    for column in ("tree", "modules", "how", "wall s", "CPU s", "vs floor", "fork faster"):
        table.add_column(column, justify="left" if column in ("tree", "how") else "right")
    for result in results:
        rows = (
            ("kit, fork", result.fork),
            ("floor: fork + import", result.floor),
            (
                "kit, fresh"
                + (
                    f" ({result.fresh_sampled} sampled, scaled)"
                    if result.fresh_sampled != result.modules
                    else ""
                ),
                result.fresh,
            ),
        )
        for how, timing in rows:
            table.add_row(
                result.name,
                str(result.modules),
                how,
                f"{timing.wall:.2f}",
                f"{timing.cpu:.2f}",
                f"{timing.wall / result.floor.wall:.2f}x",
                f"{timing.wall / result.fork.wall:.1f}x" if how.startswith("kit, fresh") else "",
            )
    console.print(table)
    for result in results:
        agree = "agree" if result.same_outcomes else "DISAGREE"
        console.print(f"{result.name}: fork and fresh {agree} on the modules both imported")
    console.print(
        f"import graph of {args.modules} modules: {graph * 1000:.1f} ms, "
        f"{graph / parse:.2f}x the time to ast.parse the tree"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
