"""What the kit's end-to-end tests share: real git repos, the legacy tree, running the scripts.

Git never reads the user's or the system's configuration here (the identity is passed with
``-c``), so the tests behave the same on any machine.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from shimkit.domain.plan import Plan


@dataclass(frozen=True)
class Run:
    """A finished child process, printed whole when an assertion about it fails."""

    returncode: int
    stdout: str
    stderr: str

    def __str__(self) -> str:
        return f"exit {self.returncode}\n--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"


REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "scripts"
_IDENTITY = (
    "-c",
    "user.name=t",
    "-c",
    "user.email=t@example.invalid",
    "-c",
    "commit.gpgsign=false",
)
# who the kit's own commits (--commit, rollback.py) are by, in a child that reads no git config
KIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.invalid",
}
_NOT_COPIED = shutil.ignore_patterns("__pycache__", ".pytest_cache", ".mypy_cache", ".git")


class Repos:
    """Make, inspect and commit throw-away git repositories."""

    root = REPO  # this repository (the kit's home)

    def __init__(self, factory: pytest.TempPathFactory) -> None:
        self._factory = factory

    @staticmethod
    def env(**extra: str) -> dict[str, str]:
        """The environment for a child process, without this repo's PYTHONPATH or git config."""
        env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME"}}
        env.update(GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1")
        env.update(extra)
        return env

    @classmethod
    def git(cls, root: Path, *args: str) -> str:
        """``git -C root args``; fails the test with git's output if git fails."""
        done = subprocess.run(
            ["git", "-C", str(root), *_IDENTITY, *args],
            capture_output=True,
            text=True,
            env=cls.env(),
            check=False,
        )
        if done.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
        return done.stdout

    @classmethod
    def commit_all(cls, root: Path, message: str) -> None:
        """Stage everything and commit (an empty commit if nothing changed)."""
        cls.git(root, "add", "-A")
        cls.git(root, "commit", "-q", "--allow-empty", "-m", message)

    @staticmethod
    def copy_tree(source: Path, dest: Path) -> None:
        """Copy a directory, skipping caches and ``.git``."""
        shutil.copytree(source, dest, ignore=_NOT_COPIED, dirs_exist_ok=True)

    def init(self, dest: Path, source: Path | None = None) -> Path:
        """A git repository at ``dest`` holding a copy of ``source`` (if given), committed."""
        if source is not None:
            self.copy_tree(source, dest)
        dest.mkdir(parents=True, exist_ok=True)
        self.git(dest, "init", "-q", "-b", "main")
        self.commit_all(dest, "initial")
        return dest

    def make(self, source: Path | None = None, name: str = "repo") -> Path:
        """A new committed repository in a fresh temporary directory."""
        return self.init(self._factory.mktemp(name) / name, source)


def git(root: Path, *args: str) -> str:
    return Repos.git(root, *args)


def commit_all(root: Path, message: str = "snapshot") -> None:
    if not (root / ".git").exists():
        git(root, "init", "-q", "-b", "main")
    Repos.commit_all(root, message)


_TEMPLATES: dict[str, Path] = {}


def _scratch(name: str) -> Path:
    """A folder that lives as long as this test process."""
    folder = Path(tempfile.mkdtemp(prefix=f"kit-tests-{name}-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def _legacy_template() -> Path:
    """The legacy tree, built once per test process (each test gets a copy)."""
    if "legacy" not in _TEMPLATES:
        template = _scratch("legacy") / "legacy"
        subprocess.run(
            [sys.executable, str(REPO / "tests/fixtures/build_legacy.py"), str(template)],
            check=True,
            capture_output=True,
        )
        _TEMPLATES["legacy"] = template
    return _TEMPLATES["legacy"]


def build_legacy_repo(dest: Path) -> Path:
    """The bundled legacy tree, committed: what a user runs the steps on."""
    shutil.copytree(_legacy_template(), dest)
    commit_all(dest, "legacy tree")
    return dest


# The plan's own test paths start a real ``mlflow server`` and take most of a run: the tests that
# check the kit's behaviour rather than the tracked codebase run the kit with its plan narrowed to
# these (no server), as an adopting team would edit ``consolidation_plan.py``. The golden
# migration and one end-to-end test per script run the real plan (``full_plan=True``).
QUICK_TEST_PATHS = ("tests/tracking",)
_QUICK_PLAN = f"""

# kit tests: the plan's test paths narrowed to those that start no server
PLAN = replace(PLAN, test_paths={QUICK_TEST_PATHS!r})
"""


def quick_plan() -> Plan:
    """The kit's plan with its test paths narrowed to ``QUICK_TEST_PATHS`` (for in-process runs)."""
    from consolidation_plan import PLAN

    return replace(PLAN, test_paths=QUICK_TEST_PATHS)


def quick_kit() -> Path:
    """A copy of ``scripts/`` whose plan runs only ``QUICK_TEST_PATHS`` (made once per process)."""
    if "quick" not in _TEMPLATES:
        kit = _scratch("quick-kit") / "scripts"
        shutil.copytree(SCRIPTS, kit, ignore=_NOT_COPIED)
        plan = kit / "consolidation_plan.py"
        text = plan.read_text(encoding="utf-8")
        plan.write_text("from dataclasses import replace\n" + text + _QUICK_PLAN, encoding="utf-8")
        _TEMPLATES["quick"] = kit
    return _TEMPLATES["quick"]


SECOND = REPO / "tests" / "fixtures" / "second"


def build_second_repo(repos: Repos) -> Path:
    """A committed repo: the second legacy codebase plus this repo's ``contracts/``."""
    root = repos.make(None, "second")
    repos.copy_tree(SECOND, root)
    repos.copy_tree(REPO / "contracts", root / "contracts")
    repos.commit_all(root, "the second legacy codebase")
    return root


TRAPS = REPO / "tests" / "fixtures" / "traps"


def build_traps_repo(dest: Path) -> Path:
    """The legacy tree plus the traps of a real codebase (``tests/fixtures/traps``), committed."""
    subprocess.run(
        [sys.executable, str(REPO / "tests/fixtures/build_legacy.py"), str(dest)],
        check=True,
        capture_output=True,
    )
    shutil.copytree(TRAPS, dest, dirs_exist_ok=True, ignore=shutil.ignore_patterns("README.md"))
    commit_all(dest, "legacy tree, as a real codebase has it")
    return dest


def kit_with_plan(dest: Path, change: str) -> Path:
    """A copy of ``scripts/`` at ``dest`` whose plan is the kit's with ``change`` applied
    (Python: ``PLAN = replace(PLAN, ...)``), as a team edits ``consolidation_plan.py``."""
    shutil.copytree(SCRIPTS, dest, ignore=_NOT_COPIED)
    plan = dest / "consolidation_plan.py"
    text = plan.read_text(encoding="utf-8")
    plan.write_text(f"from dataclasses import replace\n{text}\n{change}\n", encoding="utf-8")
    return dest


def run_script(
    script: str, root: Path, *args: str, full_plan: bool = False, kit: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run one of the kit's scripts as a user would, from outside the tree it works on; with the
    plan's test paths narrowed to ``QUICK_TEST_PATHS`` unless ``full_plan`` (or the scripts of
    ``kit``, when given)."""
    kit = kit or (SCRIPTS if full_plan else quick_kit())
    return subprocess.run(
        [sys.executable, str(kit / script), "--root", str(root), *args],
        capture_output=True,
        text=True,
        env=Repos.env(COLUMNS="200", **KIT_IDENTITY),
    )


def run_in(root: Path, args: list[str], timeout: int = 600) -> Run:
    """``args`` run in ``root`` with a clean environment (``Repos.env``), output kept."""
    done = subprocess.run(
        args,
        cwd=root,
        env=Repos.env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Run(done.returncode, done.stdout, done.stderr)


def run_retire(root: Path, *args: str, timeout: int = 600) -> Run:
    """``scripts/retire_shims.py --root ROOT ARGS`` as a user runs it, from inside the tree."""
    script = str(SCRIPTS / "retire_shims.py")
    return run_in(root, [sys.executable, script, "--root", str(root), *args], timeout)


def run_project_tests(root: Path, timeout: int = 600) -> Run:
    """A fixture codebase's own pytest suite, run in its repo (its pyproject sets the path)."""
    return run_in(root, [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], timeout)


def files_under(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts and ".git" not in path.parts
    }


# a re-export layer (app.old) over app.core, and a module that imports through it
LAYER_TREE = {
    "src/app/__init__.py": "",
    "src/app/core.py": "def make() -> int:\n    return 1\n",
    "src/app/old.py": '"""A re-export layer."""\n\nfrom app.core import make\n',
    "src/app/user.py": "from app.old import make\n\nVALUE = make()\n",
}


def write_tree(root: Path, files: dict[str, str]) -> Path:
    """Write ``files`` (root-relative path -> text, dedented) under ``root``; returns ``root``."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """The real ``lint-imports`` on ``root`` as CI runs it (the import root ``src`` on the path)."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=root,
        env=Repos.env(PYTHONPATH="src"),
        capture_output=True,
        text=True,
        check=False,
    )


def process_alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie is dead, only not yet reaped); needs /proc."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except OSError:
        return False
