"""Adopting the kit in a repository with one command: copy what the gate runs, write a starter
plan from the layers found and a tox.ini with the gate alone, write contracts that start green,
and say what to review. Only new files are written: one that exists already is refused."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from shimkit.analysis.tree_analysis import Analysis
from shimkit.analysis.triage import root_packages
from shimkit.application.ports import Reporter
from shimkit.application.run import Run
from shimkit.application.workspace import Workspace
from shimkit.apply import apply_changes
from shimkit.apply.git import require_clean
from shimkit.domain.errors import KitError
from shimkit.domain.importlinter_file import CONFIG
from shimkit.domain.model import ChangeKind, ChangeSet, FileChange, ShimLayer
from shimkit.domain.plan import Plan
from shimkit.use_cases.inventory import run_inventory

PLAN_FILE = "scripts/consolidation_plan.py"
# what the gate runs, copied as they are (the plan is written, never copied)
KIT_TREES = ("contracts", "scripts")
KIT_FILES = (".pre-commit-config.yaml",)
SKIPPED = ("__pycache__",)
WORKFLOW = ".github/workflows/shim-gate.yml"
TEST_FOLDERS = ("tests", "test")
OPTIONAL_REQUIREMENTS = ("requirements.txt", "requirements-dev.txt")


def run_adopt(kit: Path, run: Run) -> int:
    workspace, reporter = run.workspace, run.reporter
    root = workspace.root
    if root.resolve() == kit.resolve():
        raise KitError(f"{root} is the kit's own repository: pass the repository that adopts it")
    workspace.check()
    require_clean(root, run.options.allow_dirty)
    analysis = run.analysis()
    layers = [s for s in analysis.inventory.shims if not s.facade]
    plan = starter_plan(root, analysis, layers)
    files = {
        **kit_files(kit),
        PLAN_FILE: plan_text(root.name, workspace.src, analysis, layers, plan),
        "tox.ini": tox_text(root, workspace.src),
        WORKFLOW: WORKFLOW_TEXT,
    }
    there = sorted(path for path in files if (root / path).exists() or (root / path).is_symlink())
    if there:
        more = f" (and {len(there) - 1} more)" if len(there) > 1 else ""
        raise KitError(
            f"{there[0]} exists already{more}: adopting writes only new files; move it aside "
            "or merge the kit's by hand"
        )
    apply_changes(
        root, ChangeSet(tuple(FileChange(p, None, t, ChangeKind.ADOPT) for p, t in files.items()))
    )
    reporter.info(f"adopt: wrote {len(files)} file(s): {', '.join(_summary(files))}")
    # the contracts of today's tree, from the plan just written (step 1 --write-contracts)
    status = run_inventory(run.on(Workspace(root, workspace.src, plan)), write_contracts=True)
    _review(root, plan, layers, status, reporter)
    return status


def kit_files(kit: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for tree in KIT_TREES:
        for path in sorted((kit / tree).rglob("*")):
            relative = path.relative_to(kit).as_posix()
            if path.is_file() and not set(SKIPPED) & set(path.parts) and relative != PLAN_FILE:
                found[relative] = path.read_text(encoding="utf-8")
    for name in KIT_FILES:
        found[name] = (kit / name).read_text(encoding="utf-8")
    return found


def starter_plan(root: Path, analysis: Analysis, layers: Sequence[ShimLayer]) -> Plan:
    return Plan(
        title=f"Retire the re-export layers of {root.name}",
        deprecated=tuple(s.module for s in layers if s.warns),
        retire=tuple(s.module for s in layers if not s.warns),
        test_paths=tuple(name for name in TEST_FOLDERS if (root / name).is_dir())[:1],
    )


def plan_text(
    name: str, src: str, analysis: Analysis, layers: Sequence[ShimLayer], plan: Plan
) -> str:
    uses = Counter(r.shim for r in analysis.inventory.references)

    def entries(modules: Sequence[str]) -> str:
        lines = []
        for module in modules:
            layer = next(s for s in layers if s.module == module)
            sources = sorted({r.imported_from for r in layer.reexports})
            lines.append(
                f'        "{module}",  # {uses[module]} usage site(s); re-exports from '
                f"{', '.join(sources)}\n"
            )
        return "".join(lines)

    packages = ", ".join(root_packages(analysis.codebase)) or "none"
    return f'''"""The consolidation plan of {name}, started by scripts/adopt.py on {date.today()}
from the re-export layers found under {src}/. Review every field: the steps read nothing else."""

from shimkit.domain.plan import Plan

PLAN = Plan(
    title="{plan.title}",
    # Layers that warn on import (a DeprecationWarning): step 3 deletes them and points every
    # importer at the module that defines each name.
    deprecated=(
{entries(plan.deprecated)}    ),
    # Plain re-export layers (no warning): step 3 deletes them likewise. To keep one as a
    # compatibility layer instead, move its line to keep.
    retire=(
{entries(plan.retire)}    ),
    # Compatibility layers that stay: step 4 points every importer outside them at the source.
    keep=(),
    # Layers merged into a kept one first (step 2), as {{"old.layer": "kept.layer"}}.
    consolidate={{}},
    # The tests that hold the behaviour: the gate and every verification run them.
    test_paths=({"".join(f'"{p}", ' for p in plan.test_paths).rstrip()}),
    # Top-level packages from the highest layer to the lowest, so that import-linter holds that
    # a lower one never imports a higher one. Found: {packages}.
    layers=(),
    # Path prefixes (relative to the repository root) the kit never reads.
    exclude=(),
    # What you expect of step 5's success criteria, by name, e.g.
    # {{"Code reduction": "about 100 lines of re-export code removed"}}.
    success_criteria={{}},
)
'''


def tox_text(root: Path, src: str) -> str:
    requirements = "".join(
        f"    -r {name}\n" for name in OPTIONAL_REQUIREMENTS if (root / name).is_file()
    )
    return f"""# The shim gate, written by scripts/adopt.py: plain `tox` runs it before every merge.
[tox]
requires = tox>=4.20
env_list = contracts, import-smoke, tests

[testenv]
package = skip
set_env =
    PYTHONPATH = {{tox_root}}{{/}}{src}{{:}}{{tox_root}}{{/}}scripts{{:}}{{tox_root}}
    PYTHONDONTWRITEBYTECODE = 1
pass_env = HOME, TMPDIR, CI
deps =
    -r scripts/requirements.txt
{requirements}    pytest

[testenv:contracts]
description = import-linter: shim allowlist, layers, kept layers re-export only, retired ones gone
commands = lint-imports --no-cache

[testenv:import-smoke]
description = every module imports on its own, no new DeprecationWarning, no None re-export
commands = python scripts/import_smoke.py --root {{tox_root}} --src {src}

[testenv:tests]
description = the tests the plan names (test_paths)
commands = python scripts/run_plan_tests.py {{posargs}}
"""


WORKFLOW_TEXT = """\
# The shim gate on every pull request: plain `tox` runs the gate's environments (tox.ini).
name: shim gate

on:
  pull_request:

jobs:
  gate:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - name: Install tox
        run: python -m pip install 'tox==4.67.15'
      - name: Contracts, import smoke, tests
        run: python -m tox
"""


def _summary(files: dict[str, str]) -> list[str]:
    tops = sorted({path.split("/")[0] + ("/" if "/" in path else "") for path in files})
    return [top for top in tops if top != ".github/"] + [WORKFLOW]


def _review(
    root: Path, plan: Plan, layers: Sequence[ShimLayer], status: int, reporter: Reporter
) -> None:
    rows = [
        (PLAN_FILE, f"{len(plan.deprecated)} deprecated (warn), {len(plan.retire)} to retire "
         "(plain re-export): move a layer to keep to keep it; name your layers; test_paths "
         f"{', '.join(plan.test_paths) or 'none found'}"),
        (CONFIG, "contracts of today's tree: the importers found are allowlisted and leave the "
         "allowlist as the plan retires their layers"
         if status == 0 else "NOT written: the contracts cannot start green (above)"),
        ("tox.ini", "the gate alone (contracts, import-smoke, tests): plain `tox`; your "
         "requirements files are installed where present"),
        ("gate where teams run it", f"{WORKFLOW}; .pre-commit-config.yaml (pre-commit install)"),
        ("next", "commit these files; `python scripts/migrate.py` rehearses the plan, "
         "`--write --commit` carries it out, scripts/rollback.py undoes it"),
    ]  # fmt: skip
    reporter.table(f"Adopted in {root}: what to review", ("file", "what to check"), rows)
    if not layers:
        reporter.info("no re-export layer found: the plan retires nothing until you name one")
