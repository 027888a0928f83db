"""The tracked codebase's import contracts (``.importlinter`` + ``contracts/``), run for real.

Every check runs the real ``lint-imports`` in a subprocess, on a temporary copy of the tree:
``src/`` (the repository's own when it exists, else a miniature tree with the same shim layout),
``.importlinter`` and ``contracts/``, with ``PYTHONPATH=<tmp>/src`` and ``cwd=<tmp>``. Each test
plants one kind of violation and asserts that the run fails and names the offender; the clean
tree must pass.
"""

from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from consolidation_plan import COMPAT_PACKAGE, PLAN

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / ".importlinter"
# The console script of the interpreter running the tests (a venv's or tox env's bin/).
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
ROOT_PACKAGES = ("infrastructure", "orchestration", "common")
BEGIN_MARKER = "# allowlist:begin"
END_MARKER = "# allowlist:end"
PROTECTED = "Shim modules are imported only by allowlisted legacy modules"
REEXPORT_ONLY = "Kept compatibility shims contain nothing but re-exports"
RETIRED = "Retired shim modules stay deleted and unimported"
LAYERS_ID = "layers"
LAYERS = "Layers: orchestration > infrastructure > common"

# A module no real tree has: where violations get planted.
PLANTED = "orchestration.kit_planted"
PLANTED_INFRA = "infrastructure.kit_planted"

# The consolidated state in miniature: the shim layout of the plan, nothing else.
MINI_TREE: dict[str, str] = {
    "common/__init__.py": "",
    "common/shared/__init__.py": "",
    "common/shared/hash_utils.py": """\
        import hashlib


        def compute_hash_16(text: str) -> str:
            return hashlib.sha256(text.encode()).hexdigest()[:16]
        """,
    "infrastructure/__init__.py": "",
    "infrastructure/tracking/__init__.py": "",
    "infrastructure/tracking/mlflow/__init__.py": "",
    "infrastructure/tracking/mlflow/utils.py": """\
        from common.shared.hash_utils import compute_hash_16


        def retry_with_backoff(func, max_retries=3):
            return func()


        def get_mlflow_run_id():
            return compute_hash_16("run")
        """,
    "infrastructure/tracking/mlflow/urls.py": """\
        def get_mlflow_run_url(experiment_id, run_id):
            return f"/#/experiments/{experiment_id}/runs/{run_id}"
        """,
    "infrastructure/tracking/mlflow/runs.py": """\
        def create_child_run(parent_run_id, name):
            return (parent_run_id, name)
        """,
    "infrastructure/tracking/mlflow/setup.py": """\
        def setup_mlflow_for_stage(stage):
            return stage
        """,
    "infrastructure/platform/__init__.py": "",
    "infrastructure/platform/adapters/__init__.py": "",
    "infrastructure/platform/adapters/mlflow_context.py": """\
        from infrastructure.tracking.mlflow.runs import create_child_run
        """,
    "orchestration/__init__.py": "",
    "orchestration/jobs/__init__.py": "",
    "orchestration/jobs/tracking/__init__.py": "",
    "orchestration/jobs/tracking/trackers/__init__.py": "",
    "orchestration/jobs/tracking/trackers/sweep_tracker.py": """\
        from infrastructure.tracking.mlflow.urls import get_mlflow_run_url
        from infrastructure.tracking.mlflow.utils import retry_with_backoff
        """,
    "orchestration/jobs/tracking/utils/__init__.py": '''\
        """MLflow tracking utilities.

        Compatibility layer: re-exports from infrastructure.tracking.mlflow.
        """

        from infrastructure.tracking.mlflow.runs import create_child_run
        from infrastructure.tracking.mlflow.urls import get_mlflow_run_url
        from infrastructure.tracking.mlflow.utils import retry_with_backoff

        __all__ = ["create_child_run", "get_mlflow_run_url", "retry_with_backoff"]
        ''',
    "orchestration/jobs/tracking/utils/mlflow_utils.py": '''\
        """Compatibility layer: re-exports from infrastructure.tracking.mlflow."""

        from __future__ import annotations

        from infrastructure.tracking.mlflow.urls import get_mlflow_run_url
        from infrastructure.tracking.mlflow.utils import retry_with_backoff

        __all__ = ("get_mlflow_run_url", "retry_with_backoff")
        ''',
    "orchestration/jobs/tracking/utils/helpers.py": '''\
        """Compatibility layer: re-exports from infrastructure.tracking.mlflow."""

        from infrastructure.tracking.mlflow.runs import create_child_run

        __all__ = ["create_child_run"]
        ''',
}


def module_path(src: Path, module: str) -> Path:
    """The file of ``module`` below ``src``: ``pkg/__init__.py`` for a package, else ``mod.py``."""
    *parents, name = module.split(".")
    package_init = src.joinpath(*parents, name, "__init__.py")
    return package_init if package_init.exists() else src.joinpath(*parents, f"{name}.py")


def real_src_available() -> bool:
    return all((REPO / "src" / package / "__init__.py").is_file() for package in ROOT_PACKAGES)


@pytest.fixture(scope="session")
def base_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A pristine tree: ``src/`` (real or miniature), ``.importlinter``, ``contracts/``."""
    base = tmp_path_factory.mktemp("base")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".import_linter_cache")
    if real_src_available():
        shutil.copytree(REPO / "src", base / "src", ignore=ignore)
    else:
        for relative, text in MINI_TREE.items():
            path = base / "src" / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text))
    shutil.copytree(REPO / "contracts", base / "contracts", ignore=ignore)
    shutil.copy2(CONFIG, base / ".importlinter")
    return base


@pytest.fixture
def tree(base_tree: Path, tmp_path: Path) -> Path:
    """A fresh copy of the pristine tree for one test to plant violations in."""
    root = tmp_path / "tree"
    shutil.copytree(base_tree, root)
    return root


@dataclass(frozen=True)
class Run:
    returncode: int
    output: str

    def __str__(self) -> str:
        return f"exit {self.returncode}\n{self.output}"


def lint_imports(root: Path) -> Run:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env.update(
        PYTHONPATH=str(root / "src"),
        PYTHONDONTWRITEBYTECODE="1",
        COLUMNS="500",  # rich wraps at the terminal width; keep every finding on one line
        NO_COLOR="1",
        TERM="dumb",
    )
    executable = LINT_IMPORTS if LINT_IMPORTS.exists() else shutil.which("lint-imports")
    assert executable is not None, "lint-imports is not installed"
    completed = subprocess.run(
        [str(executable), "--no-cache", "--no-logo"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return Run(completed.returncode, completed.stdout + completed.stderr)


def write_module(root: Path, module: str, code: str) -> Path:
    path = root / "src" / Path(*module.split(".")).with_suffix(".py")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(code))
    return path


def append_code(path: Path, code: str) -> int:
    """Append ``code`` to ``path``; return the line number of its first line."""
    text = path.read_text()
    if text and not text.endswith("\n"):
        text += "\n"
    first_line = text.count("\n") + 1
    path.write_text(text + textwrap.dedent(code))
    return first_line


def set_allowlist(root: Path, entries: Sequence[str]) -> None:
    """Replace the lines between the allowlist markers, as a tool rewriting the block would."""
    config = root / ".importlinter"
    lines = config.read_text().splitlines()
    begin = next(i for i, line in enumerate(lines) if line.strip() == BEGIN_MARKER)
    end = next(i for i, line in enumerate(lines) if line.strip() == END_MARKER)
    indent = lines[begin][: len(lines[begin]) - len(lines[begin].lstrip())]
    lines[begin + 1 : end] = [f"{indent}{entry}" for entry in entries]
    config.write_text("\n".join(lines) + "\n")


def broken(run: Run, contract_name: str) -> bool:
    return re.search(rf"^{re.escape(contract_name)} BROKEN$", run.output, re.MULTILINE) is not None


def read_config() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(CONFIG.read_text())
    return parser


def values(parser: configparser.ConfigParser, section: str, option: str) -> list[str]:
    return [line.strip() for line in parser.get(section, option).splitlines() if line.strip()]


def contract_section(parser: configparser.ConfigParser, name: str) -> str:
    return next(
        section
        for section in parser.sections()
        if section.startswith("importlinter:contract:") and parser.get(section, "name") == name
    )


# --- the configuration agrees with the plan -------------------------------------------------


def test_config_lists_come_from_the_plan() -> None:
    parser = read_config()
    assert sorted(values(parser, "importlinter", "root_packages")) == sorted(ROOT_PACKAGES)
    layers = getattr(PLAN, "layers", None) or ("orchestration", "infrastructure", "common")
    assert values(parser, f"importlinter:contract:{LAYERS_ID}", "layers") == list(layers)
    protected = contract_section(parser, PROTECTED)
    assert values(parser, protected, "protected_modules") == list(PLAN.shims)
    assert values(parser, protected, "allowed_importers") == [
        COMPAT_PACKAGE,
        f"{COMPAT_PACKAGE}.**",
    ]
    assert parser.get(protected, "as_packages").strip() == "False"
    assert parser.get(protected, "unmatched_ignore_imports_alerting").strip() == "error"
    reexport = contract_section(parser, REEXPORT_ONLY)
    assert sorted(values(parser, reexport, "modules")) == sorted(PLAN.keep)
    retired = contract_section(parser, RETIRED)
    assert values(parser, retired, "modules") == sorted(PLAN.retired)


def test_allowlist_block_sits_in_ignore_imports_and_is_empty_when_consolidated() -> None:
    lines = CONFIG.read_text().splitlines()
    begin = [i for i, line in enumerate(lines) if line.strip() == BEGIN_MARKER]
    end = [i for i, line in enumerate(lines) if line.strip() == END_MARKER]
    assert len(begin) == len(end) == 1 and begin[0] < end[0]
    assert lines[begin[0] - 1].strip() == "ignore_imports ="
    assert lines[begin[0] + 1 : end[0]] == []
    # configparser drops the marker comments: the option parses as an empty value.
    parser = read_config()
    assert parser.get(contract_section(parser, PROTECTED), "ignore_imports").strip() == ""


# --- the clean tree -----------------------------------------------------------------------


def test_clean_tree_keeps_every_contract(tree: Path) -> None:
    run = lint_imports(tree)
    assert run.returncode == 0, run
    assert "Contracts: 4 kept, 0 broken." in run.output, run


def test_allowlisted_legacy_import_is_accepted(tree: Path) -> None:
    shim = f"{COMPAT_PACKAGE}.helpers"
    write_module(tree, PLANTED, f"from {shim} import create_child_run\n")
    set_allowlist(tree, [f"{PLANTED} -> {shim}"])
    run = lint_imports(tree)
    assert run.returncode == 0, run


def test_shims_may_import_each_other(tree: Path) -> None:
    append_code(
        module_path(tree / "src", f"{COMPAT_PACKAGE}.helpers"),
        f"from {COMPAT_PACKAGE}.mlflow_utils import get_mlflow_run_url\n",
    )
    run = lint_imports(tree)
    assert run.returncode == 0, run


def test_unrelated_module_in_the_compat_package_is_not_protected(tree: Path) -> None:
    # as_packages = False: protecting the package's __init__ leaves its other modules alone.
    write_module(tree, f"{COMPAT_PACKAGE}.kit_unrelated", "VALUE = 1\n")
    write_module(tree, PLANTED, f"from {COMPAT_PACKAGE}.kit_unrelated import VALUE\n")
    run = lint_imports(tree)
    assert run.returncode == 0, run


# --- (a) a module importing a shim, not on the allowlist ------------------------------------


@pytest.mark.parametrize("shim", PLAN.keep)
def test_new_importer_of_a_shim_breaks_the_protected_contract(tree: Path, shim: str) -> None:
    write_module(tree, PLANTED, f'"""Planted."""\n\nimport {shim}\n')
    run = lint_imports(tree)
    assert run.returncode != 0, run
    assert broken(run, PROTECTED), run
    assert f"- {PLANTED} -> {shim} (l.3)" in run.output, run


def test_other_allowlist_entries_do_not_cover_a_new_importer(tree: Path) -> None:
    shim = f"{COMPAT_PACKAGE}.mlflow_utils"
    write_module(tree, PLANTED, f"from {shim} import retry_with_backoff\n")
    legacy = "orchestration.kit_legacy"
    write_module(tree, legacy, f"from {shim} import get_mlflow_run_url\n")
    set_allowlist(tree, [f"{legacy} -> {shim}"])
    run = lint_imports(tree)
    assert run.returncode != 0, run
    assert f"- {PLANTED} -> {shim} (l.1)" in run.output, run
    assert f"- {legacy} -> {shim}" not in run.output, run


# --- (b) a stale allowlist entry ------------------------------------------------------------


@pytest.mark.parametrize("shim", [f"{COMPAT_PACKAGE}.helpers", "orchestration.mlflow_utils"])
def test_stale_allowlist_entry_fails_the_run(tree: Path, shim: str) -> None:
    # The importer exists but no longer imports the shim (for a retired shim: nothing does).
    write_module(
        tree, PLANTED, "from infrastructure.tracking.mlflow.runs import create_child_run\n"
    )
    set_allowlist(tree, [f"{PLANTED} -> {shim}"])
    run = lint_imports(tree)
    assert run.returncode != 0, run
    assert f"No matches for ignored import {PLANTED} -> {shim}." in run.output, run


# --- (c) infrastructure importing orchestration ---------------------------------------------


@pytest.mark.parametrize(
    "code",
    [
        f"import {PLANTED}\n",
        f"def later():\n    from orchestration import {PLANTED.split('.')[-1]}\n",
    ],
    ids=["module-level", "in-function"],
)
def test_infrastructure_importing_orchestration_breaks_the_layers(tree: Path, code: str) -> None:
    write_module(tree, PLANTED, "VALUE = 1\n")
    write_module(tree, PLANTED_INFRA, code)
    run = lint_imports(tree)
    assert run.returncode != 0, run
    assert broken(run, LAYERS), run
    assert "infrastructure is not allowed to import orchestration" in run.output, run
    assert f"{PLANTED_INFRA} -> {PLANTED}" in run.output, run


# --- (d) a kept shim gaining logic ----------------------------------------------------------


@dataclass(frozen=True)
class Logic:
    shim: str
    code: str
    found: str


LOGIC = [
    Logic(
        COMPAT_PACKAGE,
        "\n\ndef create_child_run_compat(*args):\n    return args\n",
        "function definition 'create_child_run_compat'",
    ),
    Logic(
        f"{COMPAT_PACKAGE}.helpers",
        """
        try:
            from infrastructure.tracking.mlflow.runs import create_child_run
        except ImportError:
            create_child_run = None
        """,
        "try/except ImportError with fallback create_child_run = None",
    ),
    Logic(
        f"{COMPAT_PACKAGE}.mlflow_utils",
        """
        import warnings

        warnings.warn("deprecated", DeprecationWarning, stacklevel=2)
        """,
        "call to warnings.warn()",
    ),
    Logic(f"{COMPAT_PACKAGE}.helpers", "\nVERSION = 2\n", "assignment to VERSION"),
    Logic(f"{COMPAT_PACKAGE}.helpers", "\n__all__ = sorted(['a'])\n", "__all__ that is not"),
]


@pytest.mark.parametrize("logic", LOGIC, ids=lambda logic: logic.found.split()[0])
def test_shim_gaining_logic_breaks_reexport_only(tree: Path, logic: Logic) -> None:
    path = module_path(tree / "src", logic.shim)
    start = append_code(path, logic.code)
    code = textwrap.dedent(logic.code)
    offending = start + next(
        i
        for i, line in enumerate(code.splitlines())
        if line.strip() and not line.startswith((" ", "import "))
    )
    run = lint_imports(tree)
    assert run.returncode != 0, run
    assert broken(run, REEXPORT_ONLY), run
    location = f"{path.relative_to(tree).as_posix()}:{offending}"
    assert f"- {logic.shim} ({location}): {logic.found}" in run.output, run


def test_missing_kept_shim_breaks_reexport_only(tree: Path) -> None:
    shim = f"{COMPAT_PACKAGE}.helpers"
    module_path(tree / "src", shim).unlink()
    run = lint_imports(tree)
    assert run.returncode != 0, run
    assert broken(run, REEXPORT_ONLY), run
    assert f"- {shim}: module not found" in run.output, run


# --- (e) a retired module re-appearing ------------------------------------------------------


def _retired_cases() -> Iterator[tuple[str, str]]:
    for module in PLAN.retired:
        yield module, "module"
    yield PLAN.retired[0], "package"  # re-appearing as a package
    yield PLAN.retired[0], "submodule"  # a submodule left behind: a namespace package


@pytest.mark.parametrize(("module", "shape"), list(_retired_cases()))
def test_retired_module_reappearing_breaks_retired(tree: Path, module: str, shape: str) -> None:
    *parents, name = module.split(".")
    package = tree.joinpath("src", *parents, name)
    path = {
        "module": package.with_name(f"{name}.py"),
        "package": package / "__init__.py",
        "submodule": package / "leftover.py",
    }[shape]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('"""Back from the dead."""\n')
    run = lint_imports(tree)
    assert run.returncode != 0, run
    assert broken(run, RETIRED), run
    assert f"Retired module {module} exists:" in run.output, run
    assert f"- {path.relative_to(tree).as_posix()}" in run.output, run


MLFLOW_UTILS = "orchestration.mlflow_utils"
NESTED = "orchestration.jobs.tracking.mlflow_utils"
HELPERS = "orchestration.jobs.tracking.mlflow_helpers"


@pytest.mark.parametrize(
    ("code", "line", "retired"),
    [
        (f"from {MLFLOW_UTILS} import setup_mlflow_for_stage\n", 1, MLFLOW_UTILS),
        ('"""x"""\nfrom orchestration.jobs.tracking import mlflow_helpers\n', 2, HELPERS),
        (f"def f():\n    import {NESTED} as m\n", 2, NESTED),
        ("from .jobs.tracking.mlflow_helpers import create_child_run\n", 1, HELPERS),
        (f'import importlib\n\nm = importlib.import_module("{MLFLOW_UTILS}")\n', 3, MLFLOW_UTILS),
    ],
    ids=["from-module-import", "from-package-import", "import-in-function", "relative", "dynamic"],
)
def test_importing_a_retired_module_breaks_retired(
    tree: Path, code: str, line: int, retired: str
) -> None:
    assert retired in PLAN.retired
    path = write_module(tree, PLANTED, code)
    run = lint_imports(tree)
    assert run.returncode != 0, run
    assert broken(run, RETIRED), run
    location = f"{path.relative_to(tree).as_posix()}:{line}"
    assert f"- {PLANTED} -> {retired} ({location}: " in run.output, run
