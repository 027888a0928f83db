"""Round-trip battery: plant shims in real package sources, retire them, demand the pristine tree.

    python tests/batteries/roundtrip.py [--cache DIR] [--work DIR] [--packages a,b] [-j N]
                                        [--shims N] [--regressions N] [--differential]

A pristine tree is an oracle that needs no hand-written expectation. For each tree of the corpus
(``roundtrip_corpus.CORPUS``: real sdists fetched with ``pip download --no-deps --no-binary
:all:`` into ``--cache``, default ``~/.cache/shimkit-roundtrip``, and the interpreter's own
``Lib/``), committed as it was released:

1. **round trip**: shims are planted in front of up to ``--shims`` of its modules by the inverse
   rewrite (``roundtrip_plant``: from-imports, relative ones, module imports with attribute
   use, aliases, function-local and ``TYPE_CHECKING`` imports, ``mock.patch``, decorator and
   ``import_module`` strings, notebook cells), committed, and retired by the kit's real
   ``scripts/retire_shims.py SHIM... --write``. Outcome ``exact`` when the tree is then the
   pristine commit byte for byte (``CHANGELOG.md``, the kit's record, aside).
2. **regressions**: on ``--regressions`` of the trees, one case per planted regression that the
   rewrite cannot see (a module that imports the shim by a computed name, one that warns once
   the shim is gone, one whose re-export turns ``None``, a test that needs the shim, a layer
   that warned before the change and whose re-export turns ``None`` after it, a module that
   failed before the change and fails otherwise after it): the verification must refuse, say
   the regression's own reason and leave the tree as it was (``refused``).

The kit runs with its plan narrowed to the small check test each tree gets (``battery_checks``).
A rich table shows each case's outcome, the files that differ and the time. Exit 1 on any
mismatch, traceback, round trip not exact, or regression not refused with a reason.

``--differential`` runs the differential guard instead: for every planted tree, the analysis and
rewrite with every speed shortcut on and off (``shimkit.domain.shortcuts``) must give the same
references, bindings and rewritten text (``roundtrip_differential``).
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO), str(REPO / "scripts")]  # run as a script: the repo and the kit

from tests.batteries.roundtrip_corpus import (  # noqa: E402
    CHECKS,
    CORPUS,
    Package,
    add_checks,
    add_notebook,
    commit,
    git,
    unpacked,
)
from tests.batteries.roundtrip_mixed import (  # noqa: E402
    Mixed,
    bound_names,
    plant_importer,
    reexport_line,
    top_level_imports,
    with_reexport,
)
from tests.batteries.roundtrip_plant import (  # noqa: E402
    SHIM_SUFFIX,
    Planted,
    declared_all,
    defined_names,
    module_file,
    plant_notebook,
    plant_text,
    shim_of,
    shim_text,
)

SCRIPTS = REPO / "scripts"
KIT_RECORDS = frozenset({"CHANGELOG.md"})
PLAN = """from shimkit.domain.plan import Plan

# the round-trip battery: the verification runs the small check test each tree gets
PLAN = Plan(title="round-trip battery", tracking_tests=({checks!r},))
"""
TIMEOUT = 1800
TEST_FOLDERS = frozenset({"test", "tests", "testing", "examples", "docs", "doc", "benchmarks"})


# -- the trees -----------------------------------------------------------------------------------


@dataclass
class Tree:
    """A pristine tree of the corpus, its files read once, and the shims chosen for it."""

    package: Package
    root: Path
    pristine: str = ""  # the pristine commit
    shims: list[str] = field(default_factory=list)  # the modules shims are planted in front of


def tracked(root: Path) -> list[str]:
    return [p for p in git(root, "ls-files", "-z").split("\0") if p]


def module_of(path: str, src: str) -> tuple[str, bool] | None:
    """The dotted module of a ``.py`` path under the import root, and whether it is a package."""
    prefix = "" if src in ("", ".") else src.rstrip("/") + "/"
    if not path.endswith(".py") or not path.startswith(prefix):
        return None
    parts = path[len(prefix) : -3].split("/")
    if not all(part.isidentifier() for part in parts):
        return None
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), True
    return ".".join(parts), False


def read(root: Path, path: str) -> str | None:
    try:
        return (root / path).read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def plant_in(
    texts: dict[str, str], src: str, module: str, defined: frozenset[str]
) -> tuple[dict[str, str], Planted]:
    """Every file's text with its references to ``module`` planted; what was planted in all."""
    total = Planted()
    out: dict[str, str] = {}
    leaf = module.rpartition(".")[2]
    for path, text in texts.items():
        if leaf not in text:
            continue
        if path.endswith(".ipynb"):
            new, planted = plant_notebook(text, module, defined)
        else:
            where = module_of(path, src)
            importer, is_package = where if where else (None, False)
            new, planted = plant_text(text, module, defined, importer, is_package)
        if planted.edits:
            out[path] = new
            total.names |= planted.names
            total.forms.update(planted.forms)
            total.edits.extend(planted.edits)
    return out, total


def candidates(texts: dict[str, str], src: str) -> list[tuple[str, frozenset[str]]]:
    """Plain modules of the import root (not packages, tests or entry points) and the names
    each defines."""
    out: list[tuple[str, frozenset[str]]] = []
    for path, text in sorted(texts.items()):
        where = module_of(path, src)
        if where is None or where[1] or ("." not in where[0] and src in ("", ".")):
            continue
        module = where[0]
        leaf = module.rpartition(".")[2]
        if leaf in ("__main__", "conftest", "setup") or TEST_FOLDERS & set(module.split(".")):
            continue
        if leaf.startswith("test") or shim_of(module) in {m for m, _ in out}:
            continue
        try:
            defined = defined_names(ast.parse(text))
        except (SyntaxError, ValueError):
            continue
        if defined:
            out.append((module, defined))
    return out


def choose_shims(texts: dict[str, str], src: str, count: int) -> list[tuple[str, frozenset[str]]]:
    """The ``count`` modules whose planting covers the most forms, then the most references."""
    scored: list[tuple[int, int, str, frozenset[str]]] = []
    for module, defined in candidates(texts, src):
        _, planted = plant_in(texts, src, module, defined)
        forms = {f for f in planted.forms if f not in ("function-local", "TYPE_CHECKING")}
        if planted.forms:
            scored.append((-len(planted.forms), -len(planted.edits), module, defined))
        del forms
    scored.sort()
    return [(module, defined) for _, _, module, defined in scored[:count]]


def pristine_tree(cache: Path, package: Package, shims: int) -> Tree:
    """The committed pristine tree (built once into the cache), with its chosen shims."""
    root = cache / "trees" / package.label
    chosen_file = root / ".git" / "battery-shims.json"
    if not chosen_file.is_file():
        shutil.rmtree(root, ignore_errors=True)
        shutil.copytree(unpacked(cache, package), root, symlinks=True)
        commit(root, f"{package.label} as released")
        texts = {p: t for p in tracked(root) if (t := read(root, p)) is not None}
        picked = choose_shims(texts, package.src, shims)
        chosen = [module for module, _ in picked]
        test = _notebook_source(texts, package.src, picked)
        if test is not None:
            add_notebook(root, root / test)
        add_checks(root, chosen)
        commit(root, f"{package.label}: battery notebook and check test")
        chosen_file.write_text(json.dumps(chosen))
    chosen = json.loads(chosen_file.read_text())
    return Tree(package, root, git(root, "rev-parse", "HEAD").strip(), chosen[:shims])


def _notebook_source(
    texts: dict[str, str], src: str, chosen: Sequence[tuple[str, frozenset[str]]]
) -> str | None:
    """The test file whose references to the chosen modules plant the most (absolute only)."""
    best: tuple[int, str] | None = None
    for path, text in texts.items():
        name = path.rpartition("/")[2]
        if not (path.endswith(".py") and name.startswith("test_")):
            continue
        count = 0
        for module, defined in chosen:
            count += len(plant_text(text, module, defined)[1].edits)
        if count and (best is None or count > best[0]):
            best = (count, path)
    return None if best is None else best[1]


# -- planting and running ------------------------------------------------------------------------


@dataclass
class Case:
    name: str
    package: str
    kind: str  # "round trip" or the regression planted
    shims: int = 0
    references: int = 0
    outcome: str = ""  # exact, mismatch, refused, not refused, traceback, error
    files: list[str] = field(default_factory=list)
    reason: str = ""
    seconds: float = 0.0
    forms: Counter[str] = field(default_factory=Counter)
    told: str = ""  # a planted regression: what its refusal must say

    @property
    def failed(self) -> bool:
        wanted = "exact" if self.kind == "round trip" else "refused"
        return self.outcome != wanted


def planted_copy(tree: Tree, destination: Path) -> tuple[Path, list[str], Planted]:
    """A copy of the pristine tree with every chosen shim planted and committed."""
    shutil.rmtree(destination, ignore_errors=True)
    shutil.copytree(tree.root, destination, symlinks=True)
    src = tree.package.src
    texts = {p: t for p in tracked(destination) if (t := read(destination, p)) is not None}
    total = Planted()
    shims: list[str] = []
    for module in tree.shims:
        source = texts.get(module_file(Path(), src, module).as_posix().removeprefix("./"))
        if source is None:
            continue
        parsed_source = ast.parse(source)
        changed, planted = plant_in(texts, src, module, defined_names(parsed_source))
        if not planted.edits:
            continue
        texts.update(changed)
        for path, text in changed.items():
            (destination / path).write_bytes(text.encode("utf-8"))
        shim = shim_of(module)
        text = shim_text(module, planted.names, declared_all(parsed_source))
        module_file(destination, src, shim).write_text(text)
        shims.append(shim)
        total.forms.update(planted.forms)
        total.edits.extend(planted.edits)
    commit(destination, "plant shims: " + ", ".join(shims))
    return destination, shims, total


def kit_copy(work: Path) -> Path:
    """A copy of ``scripts/`` whose plan runs only the battery's check test."""
    kit = work / "kit"
    if not kit.exists():
        shutil.copytree(SCRIPTS, kit, ignore=shutil.ignore_patterns("__pycache__"))
        (kit / "consolidation_plan.py").write_text(PLAN.format(checks=CHECKS))
    return kit


def module_trees(texts: dict[str, str], src: str) -> dict[str, tuple[str, ast.Module, bool]]:
    """Each module that parses: its path, its tree and whether it is a package."""
    trees: dict[str, tuple[str, ast.Module, bool]] = {}
    for path, text in texts.items():
        where = module_of(path, src)
        if where is not None and (tree := parsed_or_none(text)) is not None:
            trees[where[0]] = (path, tree, where[1])
    return trees


def imported_at_top_level(trees: dict[str, tuple[str, ast.Module, bool]]) -> set[str]:
    """The modules some module (not a test) imports at its top level: no importer is planted
    there, since a host's own import could run it before the host binds what it re-exports
    (pygments' ``lexers.html`` imports ``lexers.ruby``, which would ask it for
    ``shebang_matches``)."""
    imported: set[str] = set()
    for module, (_, tree, is_package) in trees.items():
        if not TEST_FOLDERS & set(module.split(".")):
            imported |= top_level_imports(tree, module, is_package)
    return imported


def choose_mixed(
    texts: dict[str, str],
    src: str,
    trees: dict[str, tuple[str, ast.Module, bool]],
    skip: set[str],
    count: int,
) -> list[Mixed]:
    """Up to ``count`` mixed plantings (``roundtrip_mixed``), distinct hosts, most references
    first; ``trees`` are the modules' (``module_trees``), ``skip`` holds the modules that
    already re-export in the pristine tree."""
    imported = imported_at_top_level(trees)
    # a star import of a host would take its re-exports on: such a host re-exports for real
    skip = skip | {name.removesuffix(".*") for name in imported if name.endswith(".*")}
    scored: list[tuple[int, str, Mixed]] = []
    for host, _ in candidates(texts, src):
        if host in skip:
            continue
        host_tree = trees[host][1]
        for source in sorted(top_level_imports(host_tree, host, False) & trees.keys()):
            if source == host or trees[source][2] or source in skip:
                continue
            names = defined_names(trees[source][1]) - bound_names(host_tree)
            planted = Planted()
            trial = Mixed(host, source, frozenset(names))
            for path, text in texts.items():
                where = module_of(path, src)
                if (
                    path.endswith(".py")
                    and where not in ((host, False), (source, False))
                    and (where is None or where[0] not in imported)
                ):
                    found = plant_importer(text, trial)[1]
                    planted.names |= found.names
                    planted.forms.update(found.forms)
            if planted.names:
                scored.append(
                    (
                        -sum(planted.forms.values()),
                        host,
                        replace(trial, names=frozenset(planted.names)),
                    )
                )
    scored.sort(key=lambda item: (item[0], item[1]))
    chosen: list[Mixed] = []
    for _, host, mixed in scored:
        used = {m.host for m in chosen} | {m.source for m in chosen}
        if host not in used and mixed.source not in used and len(chosen) < count:
            chosen.append(mixed)
    return chosen


def parsed_or_none(text: str) -> ast.Module | None:
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError):
        return None


def mixed_copy(tree: Tree, destination: Path, count: int) -> tuple[Path, list[str], Planted]:
    """A copy of the pristine tree with re-exports planted in existing modules, committed."""
    from shimkit.analysis import find_mixed, scan

    shutil.rmtree(destination, ignore_errors=True)
    shutil.copytree(tree.root, destination, symlinks=True)
    src = tree.package.src
    texts = {p: t for p in tracked(destination) if (t := read(destination, p)) is not None}
    skip = {layer.module for layer in find_mixed(scan(destination, src))}
    trees = module_trees(texts, src)
    imported_by_others = imported_at_top_level(trees)
    total = Planted()
    hosts: list[str] = []
    for mixed in choose_mixed(texts, src, trees, skip, count):
        host_path = module_file(Path(), src, mixed.host).as_posix().removeprefix("./")
        if with_reexport(texts[host_path], reexport_line(mixed.source, mixed.names)) is None:
            continue
        imported: set[str] = set()
        for path, text in list(texts.items()):
            where = module_of(path, src)
            if not path.endswith(".py") or where in ((mixed.host, False), (mixed.source, False)):
                continue
            if where is not None and where[0] in imported_by_others:
                continue
            new, planted = plant_importer(text, mixed)
            if planted.edits and new != text:
                texts[path] = new
                (destination / path).write_bytes(new.encode("utf-8"))
                imported |= planted.names
                total.forms.update(planted.forms)
                total.edits.extend(planted.edits)
        planted_host = with_reexport(texts[host_path], reexport_line(mixed.source, imported))
        if not imported or planted_host is None:
            continue
        texts[host_path] = planted_host
        (destination / host_path).write_bytes(texts[host_path].encode("utf-8"))
        hosts.append(mixed.host)
    commit(destination, "plant re-exports in: " + ", ".join(hosts))
    return destination, hosts, total


def run_retire(
    kit: Path, root: Path, src: str, shims: Sequence[str], temp: Path
) -> tuple[int, str]:
    temp.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME"}}
    identity = {
        f"GIT_{who}_{what}": value
        for who in ("AUTHOR", "COMMITTER")
        for what, value in (("NAME", "battery"), ("EMAIL", "battery@example.invalid"))
    }
    env.update(identity, TMPDIR=str(temp), COLUMNS="200", PYTHONDONTWRITEBYTECODE="1")
    args = [sys.executable, str(kit / "retire_shims.py"), "--root", str(root), "--src", src,
            *shims, "--write", "--jobs", "1"]  # fmt: skip
    try:
        done = subprocess.run(
            args, env=env, capture_output=True, text=True, errors="replace", timeout=TIMEOUT,
            stdin=subprocess.DEVNULL, cwd=root,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return -1, f"timed out after {TIMEOUT} s"
    return done.returncode, done.stdout + done.stderr


def differing(root: Path, commit_id: str) -> list[str]:
    """Files that differ from ``commit_id`` (tracked or not), the kit's records aside."""
    changed = git(root, "diff", "--name-only", commit_id, "--").splitlines()
    untracked = git(root, "ls-files", "--others", "--exclude-standard").splitlines()
    return sorted({*changed, *untracked} - KIT_RECORDS)


def reason_of(output: str) -> str:
    """The reason a refusing run names: its ``error:`` line, the layers it kept with why, or its
    failed verification rows."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    for line in lines:
        if line.startswith("error:"):
            return line
    kept = next((i for i, line in enumerate(lines) if line.startswith("Layers left")), len(lines))
    why = [row for row in table_rows(lines[kept:]) if row[-1] and row[-1] != "why it stays"]
    stays = [line for line in lines if "asked for stay" in line]
    if stays:
        return stays[0] + ": " + "; ".join(" ".join(cell for cell in row if cell) for row in why)
    failed = [line for line in lines if "FAIL" in line or "✗" in line]
    return " | ".join(failed[:4])


def said_in_tables(output: str) -> str:
    """What a run's tables say, each row's cells on one line (a wrapped cell joined again)."""
    lines = [line.strip() for line in output.splitlines()]
    return "\n".join(" | ".join(row) for row in table_rows(lines))


def table_rows(lines: Sequence[str]) -> list[list[str]]:
    """The rows of rich tables in ``lines``, continuation lines joined to their row."""
    rows: list[list[str]] = []
    for line in lines:
        if not line.startswith(("│", "┃")):
            continue
        cells = [cell.strip() for cell in line.strip("│┃").split("│" if "│" in line else "┃")]
        if rows and cells and not cells[0] and line.startswith("│"):
            rows[-1] = [f"{a} {b}".strip() for a, b in zip(rows[-1], cells, strict=False)]
        else:
            rows.append(cells)
    return rows


def judge(case: Case, status: int, output: str, root: Path, pristine: str, planted: str) -> None:
    """A round trip is ``exact`` when the tree is the pristine commit again; a planted regression
    is ``refused`` when the run failed, named why and left the planted tree as it was."""
    if "Traceback (most recent call last)" in output:
        case.outcome, case.reason = "traceback", _last_line(output)
        return
    case.reason = reason_of(output) if status else ""
    stays = "asked for stay" in output
    changed = differing(root, planted)
    if case.kind == "round trip":
        case.files = differing(root, pristine)
        if status == 0:
            case.outcome = "mismatch" if case.files else "exact"
        elif not case.reason:
            case.outcome, case.reason = "refused, no reason", _last_line(output)
        elif stays:
            case.outcome = "layers stay"
        else:
            case.outcome = "half-written" if changed else "refused"
        return
    case.files = changed
    if status == 0:
        case.outcome = "not refused"
    elif changed and not stays:
        case.outcome = "half-written"
    elif not case.reason:
        case.outcome, case.reason = "refused, no reason", _last_line(output)
    elif stays:  # a layer that stays for a reason of its own says nothing of the regression
        case.outcome = "inconclusive"
    elif case.told not in said_in_tables(output):
        case.outcome = "refused, wrong reason"
        case.reason = f"wanted {case.told!r}; said: {case.reason}"
    else:
        case.outcome = "refused"


def _last_line(output: str) -> str:
    lines = [line for line in output.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "(no output)"


def round_trip(tree: Tree, work: Path, kit: Path, mixed: bool = False) -> Case:
    case = Case(tree.package.label, tree.package.label, "round trip")
    started = time.monotonic()
    if mixed:
        root, shims, planted = mixed_copy(tree, work / case.name / "tree", len(tree.shims) or 4)
    else:
        root, shims, planted = planted_copy(tree, work / case.name / "tree")
    case.shims, case.references, case.forms = len(shims), len(planted.edits), planted.forms
    if not shims:
        case.outcome, case.reason = "error", "no shim could be planted"
        return case
    head = git(root, "rev-parse", "HEAD").strip()
    status, output = run_retire(kit, root, tree.package.src, shims, work / case.name / "tmp")
    (work / case.name / "output.txt").write_text(output)
    judge(case, status, output, root, tree.pristine, head)
    case.seconds = time.monotonic() - started
    return case


# -- planted regressions -------------------------------------------------------------------------

Regression = Callable[[str, str, str, str], tuple[str, str]]  # -> (relative path, text)


def _computed(shim: str) -> str:
    """The shim's name as an expression no rewrite reads as a reference to it."""
    return f"{shim.removesuffix(SHIM_SUFFIX)!r} + {SHIM_SUFFIX!r}"


def _stale_import(importer: str, shim: str, name: str, package: str) -> tuple[str, str]:
    return (
        "_battery_stale.py",
        f'"""Imports the shim by a computed name the rewrite cannot see."""\n\n'
        f"import importlib\n\nimport {importer}  # noqa: F401\n\n"
        f"LAYER = importlib.import_module({_computed(shim)})\n",
    )


def _new_warning(importer: str, shim: str, name: str, package: str) -> tuple[str, str]:
    return (
        "_battery_warns.py",
        f'"""Warns once nothing imports the shim any more."""\n\n'
        f"import sys\nimport warnings\n\nimport {importer}  # noqa: F401\n\n"
        f"if {_computed(shim)} not in sys.modules:\n"
        f'    warnings.warn("{package} lost its compatibility layer", DeprecationWarning)\n',
    )


def _none_reexport(importer: str, shim: str, name: str, package: str) -> tuple[str, str]:
    source = shim.removesuffix(SHIM_SUFFIX)
    return (
        "_battery_none.py",
        f'"""A re-export layer whose name falls back to None once the shim is gone."""\n\n'
        f"from importlib import import_module\n\nimport {importer}  # noqa: F401\n\n"
        f"try:\n    import_module({_computed(shim)})\n"
        f"    from {source} import {name}\n"
        f"except ImportError:\n    {name} = None\n\n"
        f"__all__ = [{name!r}]\n",
    )


def _failing_test(importer: str, shim: str, name: str, package: str) -> tuple[str, str]:
    return (
        f"{CHECKS}/test_battery_shim.py",
        f'"""A test that needs the shim by a computed name."""\n\n'
        f"import importlib\n\nimport {importer}  # noqa: F401\n\n\n"
        f"def test_shim_is_there() -> None:\n"
        f"    layer = importlib.import_module({_computed(shim)})\n"
        f"    assert layer.__name__.endswith({SHIM_SUFFIX!r})\n",
    )


def _warned_name_lost(importer: str, shim: str, name: str, package: str) -> tuple[str, str]:
    """The None re-export's layer, which warns on import too, before the change as after it."""
    layer = _none_reexport(importer, shim, name, package)[1]
    warns = 'warnings.warn("_battery_warned is deprecated", DeprecationWarning)'
    return "_battery_warned.py", f"{layer}\nimport warnings  # noqa: E402\n\n{warns}\n"


def _failed_differently(importer: str, shim: str, name: str, package: str) -> tuple[str, str]:
    """The stale import, above a line that always failed: before the change the module fails
    there, after it on the stale import."""
    stale = _stale_import(importer, shim, name, package)[1]
    return (
        "_battery_failed.py",
        f'{stale}raise RuntimeError("_battery_failed: configure it first")\n',
    )


def _looked_up_on_package(importer: str, shim: str, name: str, package: str) -> tuple[str, str]:
    """Takes the shim from its package's namespace, where the importer's import left it before
    the change: a failure after it that ran only repointed imports of the shim, which the import
    check must not take for one that happened before it too (a shim outside any package is
    imported by its computed name instead, as the stale import does)."""
    parent, _, last = shim.rpartition(".")
    computed = f"{last.removesuffix(SHIM_SUFFIX)!r} + {SHIM_SUFFIX!r}"
    where = (
        f"import {parent}\n\nLAYER = getattr({parent}, {computed})\n"
        if parent
        else f"import importlib\n\nLAYER = importlib.import_module({computed})\n"
    )
    return (
        "_battery_peeks.py",
        f'"""Takes the shim from its package by a computed name."""\n\n'
        f"import {importer}  # noqa: F401\n{where}",
    )


def _holder(importer: str, shim: str, name: str, package: str) -> dict[str, str]:
    """What the shared-state regressions share: a registry object (its own list, as a signal's
    receivers), a class made by another module's factory (its ``__module__`` names the factory's
    module), and a module that fills both on import, whatever the change."""
    return {
        "_battery_holder.py": '"""A registry instance and a class made by a factory."""\n\n'
        "from _battery_factory import make\n\n\n"
        "class Registry:\n    def __init__(self) -> None:\n"
        "        self.layers: list[str] = []\n\n\n"
        "registry = Registry()\nModel = make()\n",
        "_battery_factory.py": '"""Makes classes: theirs name this module."""\n\n\n'
        "def make() -> type:\n    return type('Model', (), {})\n",
        "_battery_a_fills.py": '"""Fills the registry and sets the class attribute."""\n\n'
        f"import {importer}  # noqa: F401\nfrom _battery_holder import Model, registry\n\n"
        "registry.layers.append('filled')\nModel.layer = 'filled'\n",
    }


def _shim_present(shim: str) -> tuple[str, str]:
    """An import and a test of whether the shim is there, by its package's attribute (a test of
    ``sys.modules`` the change-undone proof does not see: it would excuse the failure)."""
    parent, _, last = shim.rpartition(".")
    if parent:
        return f"import {parent}", f"hasattr({parent}, {_computed(last)})"
    return "import importlib.util", f"importlib.util.find_spec({_computed(shim)}) is not None"


def _needs_shared(module: str, held: str, test: str, error: str) -> Regression:
    """A module fine while the shim is loaded, or once another module changed what
    ``_battery_holder`` holds (``test`` of ``held`` true): alone, after the change, it fails;
    imported after ``_battery_a_fills`` in one interpreter, it does not."""

    def plant(importer: str, shim: str, name: str, package: str) -> tuple[str, str]:
        where, present = _shim_present(shim)
        return (
            f"{module}.py",
            f'"""Needs the shim or what another module put in {held}."""\n\n'
            f"{where}\n\nimport {importer}  # noqa: F401\nfrom _battery_holder import {held}\n\n"
            f"if not {present} and not {test}:\n"
            f'    raise RuntimeError("{module}: {error}")\n',
        )

    return plant


def _nothing_beside(importer: str, shim: str, name: str, package: str) -> dict[str, str]:
    return {}


@dataclass(frozen=True)
class PlantedRegression:
    plant: Regression
    reason: str  # what the refusal must say (in its tables): the right reason, not just any
    # modules planted beside it (path -> text), which change nothing the regression hangs on
    beside: Callable[[str, str, str, str], dict[str, str]] = _nothing_beside


REGRESSIONS: dict[str, PlantedRegression] = {
    "stale import of the deleted shim": PlantedRegression(
        _stale_import, "_battery_stale: ModuleNotFoundError: No module named"
    ),
    "new DeprecationWarning": PlantedRegression(
        _new_warning, "_battery_warns: new DeprecationWarning"
    ),
    "None re-export": PlantedRegression(
        _none_reexport, "_battery_none: re-exported names unusable"
    ),
    "failing test": PlantedRegression(_failing_test, "test_battery_shim.py::test_shim_is_there"),
    # a warning known before the change does not excuse a name lost with it
    "warned before, None re-export": PlantedRegression(
        _warned_name_lost, "_battery_warned: re-exported names unusable"
    ),
    # a failure before the change excuses the same failure, not another one
    "failed before, fails otherwise": PlantedRegression(
        _failed_differently, "(before the change: RuntimeError: _battery_failed: configure"
    ),
    # a failure after the change that ran only repointed imports, and looked the shim up
    "looked up on its package": PlantedRegression(_looked_up_on_package, "_battery_peeks: "),
    # fine in one interpreter where another module filled a registry instance first
    "registry filled by another": PlantedRegression(
        _needs_shared("_battery_registry", "registry", "registry.layers", "no layer registered"),
        "_battery_registry: RuntimeError: _battery_registry: no layer",
        _holder,
    ),
    # the same through a class another module's factory made
    "factory class set by another": PlantedRegression(
        _needs_shared("_battery_made", "Model", "hasattr(Model, 'layer')", "no layer set"),
        "_battery_made: RuntimeError: _battery_made: no layer set",
        _holder,
    ),
}


def regression(
    tree: Tree, work: Path, kit: Path, kind: str, planted_regression: PlantedRegression
) -> Case:
    slug = kind.split()[0].lower()
    case = Case(
        f"{tree.package.label}+{slug}", tree.package.label, kind, told=planted_regression.reason
    )
    started = time.monotonic()
    root, shims, planted = planted_copy(tree, work / case.name / "tree")
    case.shims, case.references = len(shims), len(planted.edits)
    if not shims:
        case.outcome, case.reason = "error", "no shim could be planted"
        return case
    texts = {p: t for p in tracked(root) if p.endswith(".py") and (t := read(root, p))}
    found = next(
        (
            (shim, importer)
            for shim in shims
            if (importer := _importer_of(root, tree.package.src, texts, shim)) is not None
        ),
        None,
    )
    if found is None:
        case.outcome, case.reason = "error", "no module imports a shim and imports on its own"
        return case
    shim, importer = found
    source = shim.removesuffix(SHIM_SUFFIX)
    defined = sorted(defined_names(_parse(root, tree.package.src, source)))
    name = next((n for n in defined if not n.startswith("_")), defined[0])
    package = source.partition(".")[0]
    path, text = planted_regression.plant(importer, shim, name, package)
    files = {**planted_regression.beside(importer, shim, name, package), path: text}
    for where, content in files.items():
        target = (root if where.startswith(CHECKS) else root / tree.package.src) / where
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)
    head = commit(root, f"plant a regression: {kind}")
    status, output = run_retire(kit, root, tree.package.src, [shim], work / case.name / "tmp")
    (work / case.name / "output.txt").write_text(output)
    judge(case, status, output, root, tree.pristine, head)
    case.seconds = time.monotonic() - started
    return case


def _importer_of(root: Path, src: str, texts: dict[str, str], shim: str) -> str | None:
    """A module of the package (not a test, not ``__main__``) that imports cleanly on its own
    and has ``shim`` imported when it is: the regressions hang on it."""
    for path, text in sorted(texts.items()):
        where = module_of(path, src)
        if where is None or shim.rpartition(".")[2] not in text:
            continue
        module = where[0]
        if module == shim or module.rpartition(".")[2] == "__main__":
            continue
        if not TEST_FOLDERS & set(module.split(".")) and _imports_shim(root, src, module, shim):
            return module
    return None


def _parse(root: Path, src: str, module: str) -> ast.Module:
    return ast.parse(module_file(root, src, module).read_text(encoding="utf-8"))


def _imports_shim(root: Path, src: str, module: str, shim: str) -> bool:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME"}}
    env["PYTHONPATH"] = str(root / src)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    # a script that runs on import (parses argv, reads stdin) is no module to hang a regression on
    code = (
        f"import sys; sys.argv = ['battery', '--no-such-option']; import {module}; "
        f"sys.exit({shim!r} not in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-W", "error::DeprecationWarning", "-c", code],
        env=env, capture_output=True, cwd=root, timeout=120, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    return done.returncode == 0


# -- the report ----------------------------------------------------------------------------------


def table(cases: Sequence[Case]) -> Table:
    out = Table(title="round-trip battery")
    for column in ("case", "kind", "shims", "refs", "outcome", "files differing / reason", "s"):
        out.add_column(column, overflow="fold")
    for case in cases:
        style = "red" if case.failed else "green"
        detail = ", ".join(case.files[:6]) + (" …" if len(case.files) > 6 else "")
        if case.reason and case.outcome != "exact":
            detail = (detail + " " if detail else "") + case.reason[:200]
        out.add_row(
            case.name, case.kind, str(case.shims), str(case.references),
            f"[{style}]{case.outcome}[/{style}]", detail, f"{case.seconds:.0f}",
        )  # fmt: skip
    return out


def totals(cases: Sequence[Case]) -> str:
    trips = [c for c in cases if c.kind == "round trip"]
    planted = [c for c in cases if c.kind != "round trip"]
    outcomes = Counter(c.outcome for c in trips)
    forms: Counter[str] = Counter()
    for case in trips:
        forms.update(case.forms)
    return (
        f"packages {len(trips)}, shims planted {sum(c.shims for c in trips)}, references "
        f"{sum(c.references for c in trips)}; round trips: "
        + ", ".join(f"{outcome} {count}" for outcome, count in sorted(outcomes.items()))
        + f"; regressions refused {sum(c.outcome == 'refused' for c in planted)} of "
        f"{len(planted)}; total {sum(c.seconds for c in cases):.0f} s\nforms: "
        + ", ".join(f"{form} {count}" for form, count in sorted(forms.items()))
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache/shimkit-roundtrip")
    parser.add_argument("--work", type=Path, default=None, help="where cases run (default: temp)")
    parser.add_argument("--packages", default="", help="comma-separated names (default: all)")
    parser.add_argument("-j", "--jobs", type=int, default=1)
    parser.add_argument("--shims", type=int, default=4, help="shims planted per tree")
    parser.add_argument(
        "--regressions", type=int, default=2, help="trees the planted regressions run on"
    )
    parser.add_argument("--differential", action="store_true", help="the differential guard")
    parser.add_argument(
        "--mode", choices=("shim", "mixed"), default="shim",
        help="shim: plant new shim modules; mixed: plant re-exports in existing modules",
    )  # fmt: skip
    return parser.parse_args(argv)


def select(names: str) -> list[Package]:
    if not names:
        return list(CORPUS)
    wanted = [name.strip() for name in names.split(",") if name.strip()]
    known = {package.name: package for package in CORPUS}
    unknown = [name for name in wanted if name not in known]
    if unknown:
        raise SystemExit(f"error: not in the corpus: {', '.join(unknown)}")
    return [known[name] for name in wanted]


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    console = Console(width=200)
    packages = select(args.packages)
    args.cache.mkdir(parents=True, exist_ok=True)
    work = args.work or Path(os.environ.get("TMPDIR", "/tmp")) / "shimkit-roundtrip"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    trees = [pristine_tree(args.cache, package, args.shims) for package in packages]
    mixed = args.mode == "mixed"
    if args.differential:
        from tests.batteries.roundtrip_differential import run_differential

        return run_differential(trees, work, console, mixed)
    kit = kit_copy(work)
    jobs: list[Callable[[], Case]] = [partial(round_trip, tree, work, kit, mixed) for tree in trees]
    hosts = [tree for tree in trees if tree.package.hosts_regressions]
    for index, (kind, planted) in enumerate(REGRESSIONS.items()):
        for tree in hosts[index % len(hosts) :][: args.regressions] if hosts and not mixed else []:
            jobs.append(partial(regression, tree, work, kit, kind, planted))
    cases: list[Case] = []
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for case in pool.map(lambda job: job(), jobs):
            console.print(f"{case.name}: {case.outcome} ({case.seconds:.0f} s) {case.reason[:150]}")
            cases.append(case)
    console.print(table(cases))
    console.print(totals(cases))
    return 1 if any(case.failed for case in cases) else 0


if __name__ == "__main__":
    sys.exit(main())
