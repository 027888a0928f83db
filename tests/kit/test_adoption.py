"""Adopting the kit in another repository: the second legacy codebase (``tests/fixtures/second``).

A team copies ``.importlinter``, ``contracts/``, ``scripts/`` and ``tox.ini`` to its repository
root, replaces ``scripts/consolidation_plan.py`` with its own shims, and runs the five steps from
inside its repository with the copied scripts, committing after each. The run happens once per
module (it takes seconds); each test then checks one thing a team relies on.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from kit_helpers import Repos, Run

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "fixtures" / "second"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
TIMEOUT = 600

# What the adopting team writes: its shims, its tests, its layers (storefront sits above shop).
PLAN = '''"""The shop's consolidation plan: its shim layers and their fate."""

from shimkit.domain.plan import Plan

PLAN = Plan(
    title="Consolidate the shop's pricing shims",
    # shop.legacy.api re-exports shop.compat: its importers move to the kept layer
    consolidate={"shop.legacy.api": "shop.compat"},
    deprecated=("shop.old_pricing",),
    keep=("shop.compat",),
    tracking_tests=("tests",),
    exclude=(),
    layers=("storefront", "shop"),
)
'''
LEGACY_IMPORTERS = [
    "shop.cart -> shop.old_pricing",
    "shop.checkout -> shop.legacy.api",
    "shop.legacy.api -> shop.compat",
    "storefront.views -> shop.compat",
]
# Names of the MLflow tree the kit was built on: an adopter's copy must not carry them.
MLFLOW_NAMES = re.compile(
    r"\borchestration\b|\binfrastructure[./]tracking\b|mlflow_utils|mlflow_helpers"
)
TEXT_SUFFIXES = {"", ".py", ".ini", ".txt", ".importlinter", ".cfg", ".toml", ".md"}
COPIED = (".importlinter", "contracts", "scripts", "tox.ini")


@dataclass
class Adoption:
    root: Path
    runs: dict[str, Run] = field(default_factory=dict)
    allowlists: dict[str, list[str]] = field(default_factory=dict)  # after step 1, 2, 3, 4
    contracts_after_step1: str = ""
    copied_texts: dict[str, str] = field(default_factory=dict)  # the kit as copied, plan replaced


def _run(repos: Repos, root: Path, command: list[str], **env: str) -> Run:
    done = subprocess.run(
        command,
        cwd=root,
        env=repos.env(**env),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    return Run(done.returncode, done.stdout, done.stderr)


def step(repos: Repos, root: Path, script: str, *args: str) -> Run:
    """A copied step script, run from inside the adopting repository."""
    return _run(repos, root, [sys.executable, f"scripts/{script}", *args])


def lint_imports(repos: Repos, root: Path) -> Run:
    return _run(repos, root, [str(LINT_IMPORTS), "--no-cache"], PYTHONPATH="src")


def allowlist(root: Path) -> list[str]:
    text = (root / ".importlinter").read_text(encoding="utf-8")
    lines = [line.strip() for line in text.splitlines()]
    begin, end = lines.index("# allowlist:begin"), lines.index("# allowlist:end")
    return [line for line in lines[begin + 1 : end] if line and not line.startswith("#")]


def section_values(config: str, section: str, option: str) -> list[str]:
    """The one-per-line values of ``option`` in ``[section]`` (comment lines skipped)."""
    match = re.search(rf"^\[{re.escape(section)}\]\n(.*?)(?=^\[|\Z)", config, re.M | re.S)
    assert match, f"no [{section}] in:\n{config}"
    body = match.group(1).splitlines()
    start = next(i for i, line in enumerate(body) if line.startswith(f"{option} ="))
    values: list[str] = []
    for line in body[start + 1 :]:
        if not line.startswith((" ", "\t")):
            break
        if line.strip() and not line.strip().startswith("#"):
            values.append(line.strip())
    return values


def copy_kit(repos: Repos, root: Path) -> None:
    for name in COPIED:
        source = REPO / name
        if source.is_dir():
            repos.copy_tree(source, root / name)
        else:
            (root / name).write_bytes(source.read_bytes())
    (root / "scripts" / "consolidation_plan.py").write_text(PLAN, encoding="utf-8")


@pytest.fixture(scope="module")
def adoption(repos: Repos) -> Adoption:
    root = repos.make(None, "shop")
    repos.copy_tree(FIXTURE, root)
    copy_kit(repos, root)
    repos.commit_all(root, "adopt the shim-consolidation kit")
    result = Adoption(root)
    for name in COPIED:
        paths = [root / name] if (root / name).is_file() else sorted((root / name).rglob("*"))
        for path in paths:
            if path.is_file() and path.suffix in TEXT_SUFFIXES:
                relative = path.relative_to(root).as_posix()
                result.copied_texts[relative] = path.read_text(encoding="utf-8")

    result.runs["step1"] = step(repos, root, "step1_inventory.py", "--write-contracts")
    result.contracts_after_step1 = (root / ".importlinter").read_text(encoding="utf-8")
    result.allowlists["step1"] = allowlist(root)
    result.runs["lint after step1"] = lint_imports(repos, root)
    repos.commit_all(root, "step 1: contracts for today's tree")

    for name, script in (
        ("step2", "step2_consolidate.py"),
        ("step3", "step3_remove_deprecated.py"),
        ("step4", "step4_update_imports.py"),
    ):
        result.runs[name] = step(repos, root, script, "--write")
        result.allowlists[name] = allowlist(root)
        repos.commit_all(root, name)

    result.runs["step5"] = step(repos, root, "step5_verify.py")
    result.runs["lint after step5"] = lint_imports(repos, root)

    views = root / "src" / "storefront" / "views.py"
    views.write_text(
        views.read_text(encoding="utf-8") + "\nfrom shop.compat import compute_price  # planted\n",
        encoding="utf-8",
    )
    result.runs["lint after planting"] = lint_imports(repos, root)
    return result


def test_lint_imports_is_installed() -> None:
    assert LINT_IMPORTS.is_file(), f"no lint-imports next to {sys.executable}"


def test_step1_writes_contracts_for_the_adopting_tree(adoption: Adoption) -> None:
    run = adoption.runs["step1"]
    assert run.returncode == 0, str(run)
    config = adoption.contracts_after_step1
    roots = section_values(config, "importlinter", "root_packages")
    assert sorted(roots) == ["shop", "storefront"], config
    protected = section_values(config, "importlinter:contract:shims-protected", "protected_modules")
    assert sorted(protected) == ["shop.compat", "shop.legacy.api", "shop.old_pricing"], config


def test_step1_allowlists_todays_legacy_importers(adoption: Adoption) -> None:
    assert sorted(adoption.allowlists["step1"]) == LEGACY_IMPORTERS, adoption.contracts_after_step1


def test_step1_contracts_name_nothing_of_the_mlflow_tree(adoption: Adoption) -> None:
    config = adoption.contracts_after_step1
    assert "orchestration" not in config, config
    assert not MLFLOW_NAMES.search(config), config


def test_the_tree_starts_green(adoption: Adoption) -> None:
    run = adoption.runs["lint after step1"]
    assert run.returncode == 0, str(run)


@pytest.mark.parametrize("name", ["step2", "step3", "step4"])
def test_rewriting_steps_exit_0(adoption: Adoption, name: str) -> None:
    run = adoption.runs[name]
    assert run.returncode == 0, str(run)


def test_allowlist_shrinks_after_each_step(adoption: Adoption) -> None:
    sizes = {name: len(entries) for name, entries in adoption.allowlists.items()}
    assert sizes["step1"] > sizes["step2"] > sizes["step3"] > sizes["step4"], adoption.allowlists
    assert adoption.allowlists["step4"] == [], adoption.allowlists


def test_shims_are_retired_and_the_kept_layer_stays(adoption: Adoption) -> None:
    src = adoption.root / "src" / "shop"
    assert not (src / "legacy" / "api.py").exists()
    assert not (src / "old_pricing.py").exists()
    assert (src / "compat" / "__init__.py").is_file()


def test_step5_verifies(adoption: Adoption) -> None:
    run = adoption.runs["step5"]
    assert run.returncode == 0, str(run)


def test_lint_imports_still_passes(adoption: Adoption) -> None:
    run = adoption.runs["lint after step5"]
    assert run.returncode == 0, str(run)


def test_a_new_import_of_a_kept_shim_fails_lint_imports(adoption: Adoption) -> None:
    run = adoption.runs["lint after planting"]
    assert run.returncode != 0, str(run)
    output = run.stdout + run.stderr
    assert re.search(r"storefront\.views\s*->\s*shop\.compat", output), str(run)


def test_copied_kit_refers_neither_to_this_repo_nor_to_mlflow_modules(adoption: Adoption) -> None:
    offending: dict[str, list[str]] = {}
    for path, text in adoption.copied_texts.items():
        if path == ".importlinter":
            continue  # the kit's own contracts until step 1 rewrites them (checked above)
        found = {m.group(0) for m in MLFLOW_NAMES.finditer(text)}
        found |= {repo for repo in (str(REPO), "/work/main") if repo in text}
        if found:
            offending[path] = sorted(found)
    assert not offending, offending
