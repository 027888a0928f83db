"""One command adopts the kit: ``python scripts/adopt.py --root PATH`` on a fresh project (the
second legacy codebase, a real git repository with untracked work). The gate is green at
adoption; the copied ``migrate.py --write --commit`` carries out the starter plan; the gate is
green after; ``rollback.py`` undoes it; the untracked files survive every step byte for byte."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from kit_helpers import KIT_IDENTITY, REPO, Repos, Run, files_under

pytestmark = pytest.mark.slow

FIXTURE = REPO / "tests" / "fixtures" / "second"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
UNTRACKED = {
    "notes.txt": "my notes, never committed\n",
    "src/shop/wip.py": "from shop.core.pricing import compute_price\n\nDRAFT = compute_price\n",
}
TIMEOUT = 600


def _run(root: Path, *command: str) -> Run:
    done = subprocess.run(
        command,
        cwd=root,
        env=Repos.env(
            COLUMNS="100", PYTHONPATH=f"src:scripts:{root}", TMPDIR=str(root.parent), **KIT_IDENTITY
        ),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    return Run(done.returncode, done.stdout, done.stderr)


def gate(root: Path) -> list[Run]:
    """The commands of the gate's tox environments (tox.ini: contracts, import-smoke, tests)."""
    tox = (root / "tox.ini").read_text(encoding="utf-8")
    assert "env_list = contracts, import-smoke, tests\n" in tox, tox
    assert "constraints.txt" not in tox and "unit" not in tox, tox
    commands = [
        ("lint-imports --no-cache", (str(LINT_IMPORTS), "--no-cache")),
        (
            "python scripts/import_smoke.py",
            (sys.executable, "scripts/import_smoke.py", "--root", ".", "--src", "src"),
        ),
        ("python scripts/run_plan_tests.py", (sys.executable, "scripts/run_plan_tests.py")),
    ]
    for written, _ in commands:
        assert written in tox, tox
    return [_run(root, *command) for _, command in commands]


def untracked(root: Path) -> dict[str, bytes]:
    return {path: (root / path).read_bytes() for path in UNTRACKED}


@pytest.fixture
def shop(repos: Repos) -> Path:
    root = repos.make(FIXTURE, "shop")
    for path, text in UNTRACKED.items():
        (root / path).write_text(text, encoding="utf-8")
    return root


def test_a_fresh_project_adopts_the_kit_with_one_command_and_migrates(
    shop: Path, repos: Repos
) -> None:
    before = untracked(shop)
    adopted = _run(shop, sys.executable, str(REPO / "scripts" / "adopt.py"), "--root", str(shop))
    assert adopted.returncode == 0, str(adopted)
    assert "what to review" in adopted.stdout, str(adopted)
    plan = (shop / "scripts" / "consolidation_plan.py").read_text(encoding="utf-8")
    assert "deprecated=(\n        \"shop.old_pricing\",  # 3 usage site(s)" in plan, plan
    for plain in ("shop.compat", "shop.legacy.api", "shop.legacy.prices", "shop.pricing"):
        assert f'        "{plain}",  #' in plan.split("retire=(")[1].split("    ),")[0], plan
    assert "Found: shop, storefront." in plan, plan
    assert untracked(shop) == before
    for run in gate(shop):
        assert run.returncode == 0, f"the gate is red at adoption:\n{run}"

    repos.git(shop, "add", *[p for p in _new_files(shop) if p not in UNTRACKED])
    repos.git(shop, "commit", "-q", "-m", "adopt the kit")
    migrated = _run(shop, sys.executable, "scripts/migrate.py", "--write", "--commit")
    assert migrated.returncode == 0, str(migrated)
    assert not (shop / "src/shop/old_pricing.py").exists()
    assert untracked(shop) == before
    for run in gate(shop):
        assert run.returncode == 0, f"the gate is red after the migration:\n{run}"

    migrated_tree = files_under(shop)
    rolled = _run(shop, sys.executable, "scripts/rollback.py", "--to", "0")
    assert rolled.returncode == 0, str(rolled)
    assert (shop / "src/shop/old_pricing.py").is_file()
    assert untracked(shop) == before
    assert files_under(shop) != migrated_tree
    assert repos.git(shop, "status", "--porcelain", "--untracked-files=no") == ""


def test_adopting_over_a_file_of_the_project_writes_nothing(shop: Path) -> None:
    (shop / "tox.ini").write_text("[tox]\nenv_list = mine\n", encoding="utf-8")
    before = files_under(shop)
    run = _run(shop, sys.executable, str(REPO / "scripts" / "adopt.py"), "--root", str(shop))
    assert run.returncode == 2, str(run)
    assert run.stderr.startswith("error: tox.ini exists already") and run.stderr.count("\n") == 1
    assert files_under(shop) == before


def _new_files(root: Path) -> list[str]:
    listed = subprocess.run(
        ["git", "-C", str(root), "ls-files", "--others", "--exclude-standard"],
        capture_output=True,
        text=True,
        check=True,
    )
    return listed.stdout.split()
