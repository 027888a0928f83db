"""How fast the engine analyses and rewrites a large tree, against plain parsing in the same run.

    python benchmarks/rewrite_throughput.py [--files 2800]

Builds a synthetic repository of FILES modules in a temporary directory (a quarter of them import
through shims, one in twenty uses syntax fissix cannot parse), then times, in this process:

- baseline: ``ast.parse`` of every file;
- analysis: ``shimkit.analysis.scan`` + shim discovery + references (what every step starts with);
- rewrite: the Bowler rewrite of every file that needs one, and the LibCST fallback on the rest.

Figures are printed as seconds and as ratios to the baseline, so they compare across machines.
"""

from __future__ import annotations

import argparse
import ast
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from shimkit.analysis import find_references, find_shims, scan
from shimkit.domain.model import Moves
from shimkit.rewrite import rewrite_source

SHIM = "app.compat.helpers"
SOURCE = "app.core.tools"
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


def build_tree(root: Path, files: int) -> None:
    package = root / "src/app"
    for sub in ("compat", "core", "jobs"):
        (package / sub).mkdir(parents=True)
        (package / sub / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "core/tools.py").write_text(
        "def build(value: int) -> int:\n    return value\n\n\n"
        "def measure(value: int) -> int:\n    return value + 1\n"
    )
    (package / "compat/helpers.py").write_text(
        '"""Compatibility layer."""\n\nfrom app.core.tools import build, measure\n\n'
        '__all__ = ["build", "measure"]\n'
    )
    for index in range(files):
        template = MODERN if index % 20 == 0 else PLAIN if index % 4 == 1 else UNRELATED
        (package / f"jobs/job_{index}.py").write_text(template.format(index=index, shim=SHIM))


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2800)
    args = parser.parse_args(argv)
    moves = Moves(
        names={(SHIM, "build"): SOURCE, (SHIM, "measure"): SOURCE}, modules={SHIM: SOURCE}
    )
    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp)
        build_tree(root, args.files)
        texts = [(p, p.read_text()) for p in sorted((root / "src").rglob("*.py"))]

        baseline = timed(lambda: [ast.parse(text) for _, text in texts])

        def analyse() -> None:
            codebase = scan(root)
            find_shims(codebase)
            find_references(codebase, [SHIM])

        analysis = timed(analyse)
        users = [(p, t) for p, t in texts if SHIM in t]
        engines: dict[str, int] = {}

        def rewrite() -> None:
            for path, text in users:
                outcome = rewrite_source(text, str(path), moves, None, False)
                engines[outcome.engine] = engines.get(outcome.engine, 0) + 1

        rewriting = timed(rewrite)
    print(f"tree: {len(texts)} files, {len(users)} import through the shim")
    print(f"baseline  ast.parse of every file   {baseline:8.3f} s   1.0x")
    print(f"analysis  scan + shims + references  {analysis:8.3f} s  {analysis / baseline:5.1f}x")
    print(
        f"rewrite   {len(users)} files ({engines.get('bowler', 0)} Bowler, "
        f"{engines.get('libcst', 0)} LibCST)  {rewriting:8.3f} s  {rewriting / baseline:5.1f}x"
    )
    print(f"rewrite per file: {1000 * rewriting / max(len(users), 1):.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
