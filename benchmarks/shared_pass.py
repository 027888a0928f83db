"""What the one-interpreter import check (``verify/smoke_shared.py``) costs on a real tree, this
commit's rules against another revision's, in one run.

    python benchmarks/shared_pass.py ROOT [--src .] [--package P] [--baseline REV] [--repeat 2]
        [--limit N]

Imports the modules of ROOT's import graph (those of ``--package`` if given; the first
``--limit`` of them if given) in one interpreter, in dependency order, as ``smoke_child.py
serve`` does before it forks anything, with this checkout's ``smoke_shared.py`` and with the one
of git revision ``--baseline`` (default: ``main``), alternating, ``--repeat`` times each; prints
the fastest wall and CPU time of each (the pass's process), their ratios, and how many records
each vouched for and left to another pass (``SHIMKIT_SHARED_PASSES``): what a rule costs, and
what it takes away. For sympy's pass: ``ROOT`` is
``~/.cache/shimkit-bench/bench-sympy-1.14.0-pristine``, ``--src . --package sympy``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from shimkit.analysis import import_graph, scan

REPO = Path(__file__).resolve().parents[1]
VERIFY = REPO / "scripts" / "shimkit" / "verify"

# Runs one pass in this (fresh) interpreter: loads smoke_child by path as the server does, then
# the smoke_shared given, and times ``run`` alone.
PASS = r"""
import importlib.util, json, os, sys, time, warnings

request = json.load(sys.stdin)

def load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module

child = load("_shimkit_smoke_child", request["child"])

# how many modules each rule kept from being vouched for (the first rule that did), and how many
# vouched failures reached a changed module (imported alone after the pass)
def why(pass_, done):
    counts = {}
    blocked = {}  # (module written into, top import that wrote) -> readers it kept out
    def count(reason):
        counts[reason] = counts.get(reason, 0) + 1
    pass_.find_cycles()
    for module, data, closure, trusted in done:
        failed = data["outcome"] == "import-error"
        if trusted and pass_.settled(module, closure):
            count("vouched, failure reached a changed module" if failed and data["reached"]
                  else "vouched, failure" if failed else "vouched")
            continue
        kind = "failure" if failed else "imports"
        if data["deprecations"] or data["bad_names"]:
            count(f"{kind}: its record warned or lost a name")
        elif not closure.isdisjoint(pass_.tainted):
            count(f"{kind}: its closure warned, peeked or changed process state")
        elif any(not pass_.writers.get(n, set()) <= closure | {module} for n in closure):
            count(f"{kind}: its closure was written by an import outside it")
            for name in closure:  # who wrote into what, for the biggest classes
                for writer in pass_.writers.get(name, set()) - closure - {module}:
                    blocked.setdefault((name, writer), set()).add(module)
        else:
            entered_twice = any(
                not closure.isdisjoint(c) and pass_.entry(c) is None for c in pass_.cycles
            )
            count(f"{kind}: " + ("a cycle of its closure was entered twice" if entered_twice
                                 else "a cycle of its closure was entered by another module"))
    top = sorted(blocked.items(), key=lambda item: -len(item[1]))[:25]
    for (name, writer), readers in top:
        counts[f"  written: {name} by {writer}"] = len(readers)
    return counts

shared = load("_shimkit_smoke_shared", request["shared"])
warnings.warn = child._warn
child._ChangeWatch.install(request["changed"], request["src_dir"])
vouched = []
passes, done = [], []
class Watched(shared._SharedPass):  # the pass's own state, kept for --why
    def __init__(self, *args):
        super().__init__(*args)
        passes.append(self)
shared._SharedPass = Watched
import_one = shared._import_one
def watched_import(shared_pass, module, *args):
    found = import_one(shared_pass, module, *args)
    done.append((module, *found))
    return found
shared._import_one = watched_import
started, cpu = time.perf_counter(), time.process_time()
again = shared.run(
    [(m, []) for m in request["modules"]], request["edges"], request["src_dir"], child.record,
    child._ChangeWatch, lambda module, data, trusted: vouched.append(trusted),
)
seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
result = {"seconds": seconds, "cpu": cpu, "vouched": sum(vouched), "again": len(again[0])}
if request["why"]:
    result["why"] = why(passes[0], done)
    result["order"] = again[0]
sys.__stdout__.write(json.dumps(result))
sys.__stdout__.flush()
os._exit(0)
"""


def _one_pass(
    root: Path, src_dir: Path, shared: Path, request: Mapping[str, object]
) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(src_dir)}
    body = json.dumps({**request, "child": str(VERIFY / "smoke_child.py"), "shared": str(shared)})
    command = [sys.executable, "-P", "-c", PASS]
    done = subprocess.run(
        command, input=body, capture_output=True, text=True, cwd=root, env=env, check=True
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _changed(src_dir: Path, before: Path, modules: list[str]) -> list[str]:
    """The modules whose file is not the same in ``before`` (a tree with the same layout)."""
    changed = []
    for module in modules:
        base = module.replace(".", "/")
        for relative in (f"{base}.py", f"{base}/__init__.py"):
            here, there = src_dir / relative, before / relative
            if here.is_file():
                if not there.is_file() or here.read_bytes() != there.read_bytes():
                    changed.append(module)
                break
    return changed


def _print_why(label: str, modules: list[str], result: Mapping[str, Any]) -> None:
    load = os.getloadavg()
    print(
        f"{label}: {len(modules)} modules in {result['seconds']:.1f} s "
        f"({result['cpu']:.1f} s CPU), vouched for {result['vouched']}, "
        f"load {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}"
    )
    # the reasons first, then the writes behind the biggest one (indented)
    for reason, count in sorted(result["why"].items(), key=lambda i: (i[0][:1] == " ", -i[1])):
        print(f"  {count:5d}  {reason}")


def _print_passes(root: Path, src_dir: Path, request: dict[str, object], passes: int) -> None:
    """The first pass, then each pass of its own over what the last one left (as
    ``smoke_child._shared_passes`` runs them), each with why it did not vouch."""
    modules = list(request["modules"])  # type: ignore[call-overload]
    for number in range(1, passes + 1):
        result = _one_pass(root, src_dir, VERIFY / "smoke_shared.py", request)
        _print_why(f"{root.name}, pass {number}", modules, result)
        modules = [str(module) for module in result["order"]]
        if not modules:
            return
        request = {**request, "modules": modules}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("root", type=Path)
    parser.add_argument("--src", default=".")
    parser.add_argument("--baseline", default="main")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--package", default="", help="only the modules of this package")
    parser.add_argument(
        "--why",
        action="store_true",
        help="once, with this checkout's rules: why each module was not vouched for",
    )
    parser.add_argument(
        "--passes", type=int, default=1, help="with --why: the passes to run, the first included"
    )
    parser.add_argument(
        "--changed-from",
        type=Path,
        help="the tree before the change: the modules whose file differs count as changed",
    )
    parser.add_argument("--exclude", nargs="*", default=[], help="top folders left out")
    args = parser.parse_args()
    root = args.root.resolve()
    src_dir = Path(os.path.realpath(root / args.src))
    order = import_graph(scan(root, args.src)).import_order()
    package = args.package
    chosen = [
        m
        for m in order.modules
        if (not package or m == package or m.startswith(f"{package}."))
        and m.split(".")[0] not in args.exclude
    ]
    modules = chosen[: args.limit or None]
    request: dict[str, object] = {
        "modules": modules,
        "edges": {m: list(t) for m, t in order.edges.items()},
        "src_dir": str(src_dir),
        "changed": _changed(src_dir, args.changed_from, modules) if args.changed_from else [],
        "why": args.why,
    }
    if args.why:
        _print_passes(root, src_dir, request, args.passes)
        return
    old = subprocess.run(
        ["git", "-C", str(REPO), "show", f"{args.baseline}:scripts/shimkit/verify/smoke_shared.py"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    with tempfile.TemporaryDirectory() as folder:
        baseline = Path(folder) / "smoke_shared.py"
        baseline.write_text(old)
        runs: dict[str, list[dict[str, Any]]] = {"this": [], args.baseline: []}
        for _ in range(args.repeat):
            runs[args.baseline].append(_one_pass(root, src_dir, baseline, request))
            runs["this"].append(_one_pass(root, src_dir, VERIFY / "smoke_shared.py", request))
    load = os.getloadavg()
    best = {name: min(r["seconds"] for r in found) for name, found in runs.items()}
    cpu = {name: min(r["cpu"] for r in found) for name, found in runs.items()}
    print(f"{root.name}: {len(modules)} modules, load {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    for name, found in runs.items():
        seconds = ", ".join(f"{r['seconds']:.1f}" for r in found)
        vouched, again = found[0]["vouched"], found[0]["again"]
        print(
            f"  {name:>10}: wall best {best[name]:.2f} s ({seconds}), CPU best {cpu[name]:.2f} s;"
            f" vouched for {vouched:.0f}, {again:.0f} left to another pass"
        )
    wall, used = best["this"] / best[args.baseline], cpu["this"] / cpu[args.baseline]
    print(f"  ratio this / {args.baseline}: wall {wall:.3f}, CPU {used:.3f}")


if __name__ == "__main__":
    main()
