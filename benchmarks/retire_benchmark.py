"""Retiring one shim, side by side with the floor and other tools, on one tree in one run.

    python benchmarks/retire_benchmark.py --tree synthetic|sympy|django|real|all [--markdown]
    python benchmarks/retire_benchmark.py --files 3000 10000 30000 100000   # the scaling curve

For each tree (see ``bench_trees``), every row runs in its own child process on its own copy of
the tree, and shows wall time, CPU time (the child and its children), peak memory (the largest
resident set of the child or one of its children), files changed, files wrong (compared with the
tree expected once the shim is retired; the kit's CHANGELOG.md is not compared) and wall time as a
ratio to the floor:

- floor: read and ``ast.parse`` every Python file the kit reads, once;
- kit analysis, kit rewrite + write: ``analyse``, then ``plan_step`` + ``apply_changes`` (a child);
- kit retire_shims.py --write: the whole command; below it, each of its phases (analysis,
  rewrite, working copy, baseline, import checks, contracts, tests, write...) with its seconds
  and how far it raised the run's peak memory, as the run itself measured them
  (``shimkit.domain.phases``, written by ``--json``); the run's own phase table follows the tree's;
- Bowler rename: ``Query(tree).select_module(OLD).rename(NEW)``, no verification;
- LibCST RenameCommand: on a random sample of ``--sample`` files, times scaled to the tree;
- fork-and-import: one fork per affected module (the modules the kit's import checks import: by
  its static import graph, those whose imports reach a changed module), each importing it, and
  nothing else; as in the kit, the parent lists every import folder and imports the packages
  the modules sit in once before it forks (``--no-import-floor`` skips it).

Several ``--files`` sizes of the synthetic tree end with the scaling curve: every row's seconds
and peak memory against the number of files, and the kit's milliseconds per file with their growth
from the smallest tree. A last table rewrites one generated module of about 5 MB that imports a
shim, against its own ``ast.parse`` (time) and its own size (memory, traced in this process). The
sdists are downloaded once into ``--cache`` (default ``~/.cache/shimkit-bench``). A row that runs
past ``--timeout`` seconds is killed with its processes and shown as timed out. Ratios, not
seconds, compare across machines: the machine is shared, so only figures of one run go together.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import importlib.metadata
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SCRIPTS = REPO / "scripts"
sys.path[:0] = [str(HERE), str(SCRIPTS), str(REPO)]

from bench_trees import (  # noqa: E402
    LARGE_SHIM,
    BenchTree,
    differing,
    django_tree,
    large_module,
    python_files,
    snapshot,
    sympy_tree,
    synthetic_tree,
)
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from shimkit.analysis import module_name  # noqa: E402
from shimkit.application.smoke import importable_candidates, modules_to_check  # noqa: E402
from shimkit.application.workspace import Workspace, analyse  # noqa: E402
from shimkit.domain.model import Moves  # noqa: E402
from shimkit.rewrite.batch import FileTask, rewrite_file  # noqa: E402

CHILD_TIMEOUT = 3 * 3600.0  # seconds; --timeout


@dataclass
class Row:
    name: str
    wall: float
    cpu: float
    rss_mb: float
    changed: str = ""
    wrong: str = ""
    note: str = ""
    ratio: float | None = None
    rise: bool = False  # rss_mb is how far the phase raised the run's peak, not a peak


@dataclass
class Report:
    tree: str
    files: int
    rows: list[Row] = field(default_factory=list)
    phase_table: str = ""  # the whole run's own table of seconds per phase, as it printed it


# -- children ----------------------------------------------------------------------------------

CHILD_PRELUDE = """
import json, os, resource, sys, time
def _usage(wall, extra):
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    # this process's own high-water mark: ru_maxrss keeps the benchmark's across exec
    with open("/proc/self/status") as status:
        own = next((int(l.split()[1]) for l in status if l.startswith("VmHWM:")), me.ru_maxrss)
    extra.update(wall=wall, cpu=me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime,
                 rss_mb=max(own, kids.ru_maxrss) / 1024)
    sys.stdout.write("\\n@@bench@@" + json.dumps(extra) + "\\n")
    sys.stdout.flush()
"""


def run_child(
    code: str, argv: Sequence[str], cwd: Path, pythonpath: Sequence[Path]
) -> dict[str, Any]:
    """Run ``code`` (which ends by calling ``_usage``) in a fresh interpreter; its report, with
    what it printed (``stdout``). One that runs past ``CHILD_TIMEOUT`` is killed and reported as
    ``timed_out``, its wall time the limit."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PYTHONPATH"] = os.pathsep.join(str(p) for p in pythonpath)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    with subprocess.Popen(
        [sys.executable, "-c", CHILD_PRELUDE + code, *argv],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # on a timeout, its own children (imports, pytest) go with it
    ) as child:
        try:
            stdout, stderr = child.communicate(timeout=CHILD_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.communicate()
            return {"wall": CHILD_TIMEOUT, "cpu": 0.0, "rss_mb": 0.0, "timed_out": True}
    done = subprocess.CompletedProcess(child.args, child.returncode, stdout, stderr)
    for line in reversed(done.stdout.splitlines()):
        if line.startswith("@@bench@@"):
            report: dict[str, Any] = json.loads(line[len("@@bench@@") :])
            report.update(exit=done.returncode, stdout=done.stdout, timed_out=False)
            return report
    tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
    raise RuntimeError(f"benchmark child failed (exit {done.returncode}):\n{tail}")


FLOOR = """
import ast
from pathlib import Path
paths = [Path(p) for p in json.loads(Path(sys.argv[1]).read_text())]
start = time.perf_counter()
unparsable = 0  # Django's tests_syntax_error.py: the kit reads it and skips it too
for path in paths:
    try:
        ast.parse(path.read_bytes(), filename=str(path))
    except (SyntaxError, ValueError):
        unparsable += 1
_usage(time.perf_counter() - start, {"unparsable": unparsable})
"""

KIT_PHASES = """
import contextlib
from pathlib import Path
from shimkit.use_cases.rewrite_step import plan_step
from shimkit.application.run import Run
from shimkit.application.workspace import Workspace, analyse
from shimkit.apply import apply_changes
from shimkit.domain.steps import retire_step
from consolidation_plan import PLAN

class Quiet:
    def __getattr__(self, name):
        return lambda *args, **kwargs: None
    def progress(self, description, total):
        class Bar:
            def advance(self, description=""):
                pass
        return contextlib.nullcontext(Bar())

root, src, shim = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
workspace = Workspace(root, src, PLAN)
start = time.perf_counter()
analysis = analyse(workspace, extra_shims={shim})
analysed = time.perf_counter()
outcome = plan_step(Run(workspace, Quiet()), analysis, retire_step((shim,), PLAN.keep))
apply_changes(root, outcome.changes)
done = time.perf_counter()
_usage(done - start, {"analysis": analysed - start, "rewrite": done - analysed})
"""

# the child: retire_shims.py run in-process; its seconds and peak memory per phase are the kit's
# own (``shimkit.domain.phases``), read from the result it writes with ``--json``, and its phase
# table is what it printed last
WHOLE = """
import runpy
from pathlib import Path
result, script = Path(sys.argv[1]), sys.argv[2]
sys.argv = [script, *sys.argv[3:], "--json", str(result)]
start = time.perf_counter()
try:
    runpy.run_path(script, run_name="__main__")
    code = 0
except SystemExit as exit:
    code = exit.code if isinstance(exit.code, int) else 1
sys.stdout.flush()
timing = json.loads(result.read_text()).get("timing", {}) if result.is_file() else {}
_usage(time.perf_counter() - start, {"status": code, "phases": timing.get("phases", [])})
"""
PHASE_TABLE_TITLE = "Where the time went"

BOWLER = """
from bowler import Query
root, old, new = sys.argv[1], sys.argv[2], sys.argv[3]
start = time.perf_counter()
Query(root).select_module(old).rename(new).execute(write=True, silent=True, interactive=False)
_usage(time.perf_counter() - start, {})
"""

LIBCST = """
from libcst.codemod import CodemodContext, parallel_exec_transform_with_prettyprint
from libcst.codemod.commands.rename import RenameCommand
from pathlib import Path
root, old, new = sys.argv[1], sys.argv[2], sys.argv[3]
files = json.loads(Path(sys.argv[4]).read_text())
start = time.perf_counter()
parallel_exec_transform_with_prettyprint(
    RenameCommand(CodemodContext(), old, new), files, jobs=os.cpu_count(), hide_progress=True,
    repo_root=root,
)
_usage(time.perf_counter() - start, {})
"""

FORK_IMPORT = """
import contextlib
import importlib
import importlib.machinery
from pathlib import Path
modules = json.loads(Path(sys.argv[1]).read_text())
start = time.perf_counter()
failed = 0
# as the kit's fork server does: each import folder listed once, here, and the packages the
# modules sit in imported once, before forking, so a child pays for its module alone
def fill(folders, package=""):
    for folder in folders:
        with contextlib.suppress(Exception):
            importlib.machinery.PathFinder.find_spec(f"{package}.<fill>".lstrip("."), [folder])
fill(sys.path)
for package in sorted({m.rpartition(".")[0] for m in modules if "." in m}):
    with contextlib.suppress(BaseException):
        fill(list(getattr(importlib.import_module(package), "__path__", [])), package)
for module in modules:
    pid = os.fork()
    if pid == 0:
        try:
            importlib.import_module(module)
        except BaseException:
            os._exit(1)
        os._exit(0)
    failed += os.waitpid(pid, 0)[1] != 0
_usage(time.perf_counter() - start, {"failed": failed})
"""


# -- one tree ----------------------------------------------------------------------------------


def listed(workdir: Path, items: Sequence[str]) -> str:
    """A file holding ``items`` as JSON, for a child (too many for its command line)."""
    handle, name = tempfile.mkstemp(suffix=".json", dir=workdir)
    os.write(handle, json.dumps(list(items)).encode())
    os.close(handle)
    return name


def plan_dir(tree: BenchTree, workdir: Path) -> Path:
    """A directory holding the ``consolidation_plan.py`` the kit runs with on this tree."""
    directory = workdir / f"plan-{tree.name}"
    directory.mkdir(exist_ok=True)
    (directory / "consolidation_plan.py").write_text(tree.plan)
    return directory


def fresh_copy(tree: BenchTree, workdir: Path, label: str) -> Path:
    copy = workdir / f"{tree.name}-{label}"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(tree.root, copy, symlinks=True)
    return copy


def kit_files(tree: BenchTree, root: Path, excluded: Sequence[str]) -> list[Path]:
    """The Python files the kit reads (the plan's excluded paths left out)."""
    return [
        path
        for path in python_files(root)
        if not any(
            (rel := path.relative_to(root).as_posix()) == e or rel.startswith(e + "/")
            for e in excluded
        )
    ]


def outcome_columns(
    copy: Path, before: dict[str, bytes], expected: dict[str, bytes]
) -> tuple[str, str]:
    after = snapshot(copy)
    return str(len(differing(before, after))), str(len(differing(after, expected)))


def child_row(
    name: str,
    child: dict[str, Any],
    changed: str = "",
    wrong: str = "",
    note: str = "",
    scale: float = 1.0,
) -> Row:
    """The row of a child's wall time, CPU time and peak memory (``scale``: of a sample)."""
    if child["timed_out"]:
        return Row(
            name, child["wall"], 0.0, 0.0, note=f"timed out: killed after {child['wall']:.0f} s"
        )
    return Row(
        name, child["wall"] * scale, child["cpu"] * scale, child["rss_mb"], changed, wrong, note
    )


def _unparsable(floor: dict[str, Any]) -> str:
    count = floor.get("unparsable", 0)
    return f", {count} do not parse" if count else ""


def measure_tree(
    tree: BenchTree, workdir: Path, sample: int, whole: bool, import_floor: bool = True
) -> Report:
    excluded = _excluded(tree)
    files = kit_files(tree, tree.root, excluded)
    report = Report(tree.name, len(files))
    plans = plan_dir(tree, workdir)
    kit_path = [plans, SCRIPTS]
    before, expected = snapshot(tree.root), snapshot(tree.expected)
    changed_paths = differing(before, expected)
    affected = _affected_modules(tree, changed_paths)

    floor = run_child(FLOOR, [listed(workdir, [str(p) for p in files])], tree.root, [])
    report.rows.append(
        child_row(
            "floor: read + ast.parse every file",
            floor,
            note=f"{len(files)} files" + _unparsable(floor),
        )
    )

    copy = fresh_copy(tree, workdir, "kit")
    phases = run_child(KIT_PHASES, [str(copy), tree.src, tree.shim], copy, kit_path)
    changed, wrong = outcome_columns(copy, before, expected)
    if not phases["timed_out"]:
        report.rows.append(Row("kit: analysis", phases["analysis"], 0.0, 0.0))
        rewrite = "kit: rewrite + write of the changed files"
        report.rows.append(Row(rewrite, phases["rewrite"], 0.0, 0.0, changed, wrong))
    report.rows.append(
        child_row("kit: analysis + rewrite + write", phases, changed, wrong, note="target ≤ 3x")
    )

    if whole:
        report.rows += _whole_run(tree, workdir, kit_path, before, expected, report)

    copy = fresh_copy(tree, workdir, "bowler")
    bowler = run_child(BOWLER, [str(copy), tree.shim, tree.source], copy, [])
    changed, wrong = outcome_columns(copy, before, expected)
    report.rows.append(
        child_row("Bowler select_module().rename()", bowler, changed, wrong, "no verification")
    )

    copy = fresh_copy(tree, workdir, "libcst")
    chosen = random.Random(0).sample(files, min(sample, len(files)))
    paths = [str(copy / path.relative_to(tree.root)) for path in chosen]
    libcst = run_child(
        LIBCST, [str(copy), tree.shim, tree.source, listed(workdir, paths)], copy, []
    )
    scale = len(files) / len(chosen)
    sample_changed = len(differing(before, snapshot(copy)))
    report.rows.append(
        child_row(
            "LibCST RenameCommand (sample, scaled)",
            libcst,
            f"{sample_changed} of sample",
            note=f"{len(chosen)} files x {scale:.1f}",
            scale=scale,
        )
    )

    if import_floor:
        report.rows.append(_import_floor(tree, workdir, affected))
    for row in report.rows:
        row.ratio = row.wall / floor["wall"]
    return report


def _import_floor(tree: BenchTree, workdir: Path, affected: list[str]) -> Row:
    src_dir = tree.expected / tree.src
    forked = run_child(FORK_IMPORT, [listed(workdir, affected)], tree.expected, [src_dir])
    failed = "" if forked["timed_out"] else f", {forked['failed']} fail"
    name = "fork-and-import of the affected modules"
    return child_row(name, forked, note=f"{len(affected)} modules{failed}")


def _whole_run(
    tree: BenchTree,
    workdir: Path,
    kit_path: list[Path],
    before: dict[str, bytes],
    expected: dict[str, bytes],
    report: Report,
) -> list[Row]:
    """The whole ``retire_shims.py --write``, and below it the seconds and the rise of the peak
    memory of each of its phases, as the run itself measured them; its phase table is kept."""
    copy = fresh_copy(tree, workdir, "whole")
    result = workdir / f"{tree.name}-whole.json"
    script = str(SCRIPTS / "retire_shims.py")
    argv = [str(result), script, "--root", str(copy), "--src", tree.src, tree.shim, "--write"]
    run = run_child(WHOLE, argv, copy, kit_path)
    _removed_in_the_background()
    changed, wrong = outcome_columns(copy, before, expected)
    note = "" if run["timed_out"] else f"exit {run['status']}"
    rows = [child_row("kit: retire_shims.py --write (whole)", run, changed, wrong, note)]
    if run["timed_out"]:
        return rows
    report.phase_table = phase_table(run["stdout"])
    if run["status"] != 0:  # what the run said was wrong, for the table's reader
        report.phase_table = failure(run["stdout"]) + "\n" + report.phase_table
    for figure in run["phases"]:
        name, rise = f"  of which {figure['phase']}", figure["peak_rise_mb"]
        rows.append(Row(name, figure["seconds"], 0.0, rise, rise=True))
    return rows


def _removed_in_the_background(limit: float = 600.0) -> None:
    """Wait until the working copy the run left to a process of its own to remove is gone: that
    removal is not the run's time (the run has ended), and the next row must not share the disk
    with it."""
    deadline = time.monotonic() + limit
    base = Path(tempfile.gettempdir())
    while any(base.glob("shimkit-trash-*")) and time.monotonic() < deadline:
        time.sleep(0.05)


def failure(stdout: str) -> str:
    """What a run that did not pass printed from its verification table on (before its phase
    table), else its last lines."""
    lines = stdout.splitlines()
    end = next((i for i, line in enumerate(lines) if line.strip() == PHASE_TABLE_TITLE), len(lines))
    starts = [i for i, line in enumerate(lines[:end]) if line.strip() == "Verification"]
    return "\n".join(lines[starts[-1] if starts else max(end - 20, 0) : end])


def phase_table(stdout: str) -> str:
    """The table of seconds per phase a run of the kit printed last (with its title)."""
    lines = stdout.splitlines()
    starts = [i for i, line in enumerate(lines) if line.strip() == PHASE_TABLE_TITLE]
    if not starts:
        return ""
    table = lines[starts[-1] :]
    ends = [i for i, line in enumerate(table) if line.startswith("└")]
    return "\n".join(table[: ends[0] + 1] if ends else table)


def _plan(tree: BenchTree) -> Any:
    """The ``PLAN`` of the tree's ``consolidation_plan.py`` text."""
    namespace: dict[str, Any] = {}
    exec(compile(tree.plan, "consolidation_plan.py", "exec"), namespace)  # our own plan text
    return namespace["PLAN"]


def _excluded(tree: BenchTree) -> tuple[str, ...]:
    return tuple(_plan(tree).exclude)


def _affected_modules(tree: BenchTree, changed: Sequence[str]) -> list[str]:
    """The modules the kit's import checks import for this change, by the kit's own static import
    graph: those whose import closure reaches a changed or deleted module, present after it."""
    analysis = analyse(Workspace(tree.root, tree.src, _plan(tree)))
    touched = {m for path in changed if (m := module_name(path, tree.src)) is not None}
    gone = {
        m
        for path in changed
        if not (tree.expected / path).exists() and (m := module_name(path, tree.src)) is not None
    }
    selection = modules_to_check(analysis, importable_candidates(analysis), touched)
    return sorted(m for m in selection.modules if m not in gone)


# -- one large module --------------------------------------------------------------------------


def measure_large(size: int) -> Report:
    text = large_module(size)
    moves = Moves(
        names={(LARGE_SHIM, "build"): "app.core.tools"}, modules={LARGE_SHIM: "app.core.tools"}
    )
    task = FileTask("src/app/generated.py", text, "app.generated", False)
    report = Report(f"one generated module of {len(text) / 1e6:.1f} MB", 1)
    parse = _timed(lambda: ast.parse(text))
    result: list[Any] = []
    rewrite = _timed(lambda: result.append(rewrite_file(task, moves)))
    tracemalloc.start()
    rewrite_file(task, moves)
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    lines = sum(a != b for a, b in zip(text.splitlines(), result[0].text.splitlines(), strict=True))
    report.rows.append(Row("ast.parse of the module", parse[0], parse[1], 0.0, ratio=1.0))
    report.rows.append(
        Row(
            "kit: rewrite + check of the module",
            rewrite[0],
            rewrite[1],
            peak,
            changed=f"{lines} line",
            ratio=rewrite[0] / parse[0],
            note=f"memory {peak * 1e6 / len(text):.1f}x the file (target ≤ 20x); time target ≤ 10x",
        )
    )
    return report


def _timed(action: Callable[[], object]) -> tuple[float, float]:
    start, cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - start, time.process_time() - cpu


# -- output ------------------------------------------------------------------------------------


def _table(report: Report) -> Table:
    table = Table(title=f"{report.tree} ({report.files} files)")
    for column in ("", "wall s", "CPU s", "peak MB", "files changed", "files wrong", "x floor", ""):
        table.add_column(column, justify="left" if column in ("",) else "right")
    for row in report.rows:
        table.add_row(*_cells(row))
    return table


def _cells(row: Row) -> list[str]:
    return [
        row.name,
        f"{row.wall:.2f}",
        f"{row.cpu:.2f}" if row.cpu else "",
        _memory(row),
        row.changed,
        row.wrong,
        f"{row.ratio:.2f}x" if row.ratio is not None else "",
        row.note,
    ]


def markdown(reports: Sequence[Report]) -> str:
    lines: list[str] = []
    for report in reports:
        lines += [
            f"**{report.tree}** ({report.files} files)",
            "",
            "| | wall s | CPU s | peak MB | files changed | files wrong | x floor | |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
        ]
        lines += ["| " + " | ".join(_cells(row)) + " |" for row in report.rows]
        lines.append("")
        if report.phase_table:
            lines += ["```", report.phase_table, "```", ""]
    return "\n".join(lines)


# a plan whose test command runs nothing: the verification without the project's test run
NO_TESTS = f"""
from dataclasses import replace

PLAN = replace(PLAN, test_command=({sys.executable!r}, "-c", "pass"))
"""


def without_tests(tree: BenchTree) -> BenchTree:
    return dataclasses.replace(tree, plan=tree.plan + NO_TESTS)


# -- the scaling curve -------------------------------------------------------------------------

PER_FILE = (  # rows whose time per file the curve shows
    "kit: analysis + rewrite + write",
    "kit: retire_shims.py --write (whole)",
)


def curve(reports: Sequence[Report]) -> tuple[list[str], list[list[str]]]:
    """Seconds and peak memory of every row against the tree's size (one report per size): the
    header and the rows, then milliseconds per file of the kit's rows and how that grew from the
    smallest tree to each larger one."""
    header = (
        ["files"] + [f"{r.files:,}: s" for r in reports] + [f"{r.files:,}: MB" for r in reports]
    )
    names = list(dict.fromkeys(row.name for report in reports for row in report.rows))
    rows = []
    for name in names:
        found = [next((row for row in r.rows if row.name == name), None) for r in reports]
        seconds = [_seconds(row) for row in found]
        memory = [_memory(row) for row in found]
        rows.append([name, *seconds, *memory])
    for name in PER_FILE:
        per_file = [
            row.wall / report.files * 1000 if (row := _named(report, name)) else None
            for report in reports
        ]
        first = per_file[0]
        rows.append(
            [f"{name}: ms per file", *(f"{v:.2f}" if v else "" for v in per_file)]
            + [f"{v / first:.2f}x" if v and first else "" for v in per_file]
        )
    return header, rows


def _named(report: Report, name: str) -> Row | None:
    row = next((row for row in report.rows if row.name == name), None)
    return row if row is not None and "timed out" not in row.note else None


def _seconds(row: Row | None) -> str:
    if row is None:
        return ""
    return f">{row.wall:.0f}" if "timed out" in row.note else f"{row.wall:.2f}"


def _memory(row: Row | None) -> str:
    if row is not None and row.rise:
        return f"+{row.rss_mb:.0f}"
    return f"{row.rss_mb:.0f}" if row is not None and row.rss_mb else ""


def curve_markdown(tree: str, reports: Sequence[Report]) -> str:
    header, rows = curve(reports)
    lines = [
        f"**{tree}: scaling** (seconds, and peak MB: of the process, or +MB a phase raised it; "
        "the last rows: ms per file, and its growth from the smallest tree)",
        "",
        "| " + " | ".join(header) + " |",
        "| --- |" + " ---: |" * (len(header) - 1),
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join([*lines, ""])


def curve_table(tree: str, reports: Sequence[Report]) -> Table:
    header, rows = curve(reports)
    table = Table(title=f"{tree}: scaling (s and peak MB against files)")
    for index, column in enumerate(header):
        table.add_column(column, justify="left" if index == 0 else "right")
    for row in rows:
        table.add_row(*row)
    return table


REAL_TREE_NEEDS = HERE / "requirements.txt"


def missing_requirements(requirements: Path) -> list[str]:
    """The packages ``requirements`` pins (``NAME==VERSION`` lines) that this interpreter does
    not have at that version: without them the sdists' modules fail to import, and the import
    checks, having little to do, would be timed on a tree that cannot run."""
    missing = []
    for line in requirements.read_text(encoding="utf-8").splitlines():
        name, _, version = line.partition("#")[0].strip().partition("==")
        if not name:
            continue
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            installed = None
        if installed is None or (version and installed != version):
            missing.append(f"{name}=={version}" if version else name)
    return missing


def main(argv: Sequence[str] | None = None) -> int:
    global CHILD_TIMEOUT
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--tree", choices=("synthetic", "sympy", "django", "real", "all"), default="synthetic"
    )
    parser.add_argument(
        "--files",
        type=int,
        nargs="+",
        default=[2800],
        help="synthetic tree sizes; several print the scaling curve (e.g. 10000 30000 100000)",
    )
    parser.add_argument("--sample", type=int, default=150, help="files given to LibCST")
    parser.add_argument(
        "--large", type=int, default=5_000_000, help="size of the big module (0: none)"
    )
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "shimkit-bench")
    parser.add_argument("--no-whole", action="store_true", help="skip retire_shims.py --write")
    parser.add_argument(
        "--no-import-floor",
        action="store_true",
        help="skip the fork-and-import row (on sympy, every fork imports the whole of sympy)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=CHILD_TIMEOUT,
        help="seconds a row may take before it is killed and shown as timed out",
    )
    parser.add_argument(
        "--no-tests",
        action="store_true",
        help="the sdists' plans get a test command that runs nothing (no project test run)",
    )
    parser.add_argument("--markdown", action="store_true", help="print the README table")
    args = parser.parse_args(argv)
    CHILD_TIMEOUT = args.timeout
    whole, floor = not args.no_whole, not args.no_import_floor
    missing = missing_requirements(REAL_TREE_NEEDS) if args.tree != "synthetic" else []
    if missing:
        print(
            f"retire_benchmark: the sdists' modules need {', '.join(missing)}, not installed in "
            f"{sys.executable}: pip install -r {REAL_TREE_NEEDS.relative_to(REPO)}",
            file=sys.stderr,
        )
        return 2
    console = Console()
    if not console.is_terminal:  # a log or a file: full row names rather than an 80-column cut
        console.width = 200

    def show(report: Report) -> None:  # as soon as a tree is done: a long run shows its progress
        if args.markdown:
            print(markdown([report]), flush=True)
            return
        console.print(_table(report))
        if report.phase_table:
            print(report.phase_table, flush=True)

    with tempfile.TemporaryDirectory(prefix="shimkit-bench-") as temp:
        workdir = Path(temp)
        if args.tree in ("synthetic", "all"):
            reports = []
            for files in args.files:
                size = workdir / f"files-{files}"
                size.mkdir()
                reports.append(
                    measure_tree(synthetic_tree(size, files), size, args.sample, whole, floor)
                )
                show(reports[-1])
                shutil.rmtree(size, ignore_errors=True)
            if len(reports) > 1:
                if args.markdown:
                    print(curve_markdown("synthetic", reports), flush=True)
                else:
                    console.print(curve_table("synthetic", reports))
        args.cache.mkdir(parents=True, exist_ok=True)
        for name, make in (("sympy", sympy_tree), ("django", django_tree)):
            if args.tree in (name, "real", "all"):
                tree = without_tests(make(args.cache)) if args.no_tests else make(args.cache)
                show(measure_tree(tree, workdir, args.sample, whole, floor))
    if args.large:
        show(measure_large(args.large))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
