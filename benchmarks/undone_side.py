"""What the change-undone proof's static side (``analysis.undone.undone_side``) costs on the
synthetic tree, its trees compared side by side (the shortcut) against the plain walk of both
trees (``SHIMKIT_NO_SHORTCUTS=1``), in one run.

    python benchmarks/undone_side.py [--files 30000] [--repeat 3]

Writes the synthetic tree with every importer reaching the shim and the tree the retire makes of
it, scans both, and times ``undone_side`` for every module that differs, with the shortcut and
without it, alternating, ``--repeat`` times each; prints the fastest of each, their ratio and the
load. The two must give the same side, or the run stops.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "scripts"), str(HERE.parent)]

from bench_trees import SYNTHETIC_SHIM, SYNTHETIC_SOURCE, write_synthetic  # noqa: E402
from shimkit.analysis import scan  # noqa: E402
from shimkit.analysis.codebase import Codebase  # noqa: E402
from shimkit.analysis.memory import trees_held_apart  # noqa: E402
from shimkit.analysis.undone import UndoneSide, undone_side  # noqa: E402
from shimkit.domain import shortcuts  # noqa: E402


def changed_modules(before: Codebase, after: Codebase) -> list[str]:
    changed = []
    for module in before.modules:
        old, new = before.module(module), after.module(module)
        if new is None or old is None or old.text != new.text:
            changed.append(module)
    return changed


def timed(action: Callable[[], UndoneSide]) -> tuple[float, UndoneSide]:
    start = time.perf_counter()
    side = action()
    return time.perf_counter() - start, side


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=30000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        before_root, after_root = Path(folder, "before"), Path(folder, "after")
        write_synthetic(before_root, args.files, SYNTHETIC_SHIM)
        write_synthetic(after_root, args.files, SYNTHETIC_SOURCE)
        with trees_held_apart():  # as a run of the kit holds its trees
            before, after = scan(before_root), scan(after_root)
    changed = changed_modules(before, after)
    retired = [SYNTHETIC_SHIM]

    def side() -> UndoneSide:
        return undone_side(before, after, changed, retired)

    def plain() -> UndoneSide:
        with shortcuts.switched_off():
            return side()

    quick_runs = []
    plain_runs = []
    for _ in range(args.repeat):  # alternating: the load falls on both alike
        quick_runs.append(timed(side))
        plain_runs.append(timed(plain))
    quick, plain_seconds = min(t for t, _ in quick_runs), min(t for t, _ in plain_runs)
    if any(found != plain_runs[0][1] for _, found in quick_runs + plain_runs):
        print("the shortcut's side differs from the plain walk's", file=sys.stderr)
        return 1
    statements = len(quick_runs[0][1].statements)
    print(
        f"synthetic tree, {args.files} files: {len(changed)} modules differ, {statements} described"
    )
    print(f"undone_side, trees side by side: {quick:.3f} s")
    print(f"undone_side, plain walk:         {plain_seconds:.3f} s")
    print(f"ratio: {quick / plain_seconds:.2f}x (load {os.getloadavg()[0]:.1f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
