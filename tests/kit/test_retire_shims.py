"""``scripts/retire_shims.py`` on the second legacy codebase (``tests/fixtures/second``), for real.

Every test works on a fresh git repository holding a copy of the fixture and of ``contracts/``,
runs the real command line in a subprocess, and looks at what a user sees: the exit status, the
files, the CHANGELOG, and whether the fixture's own tests still pass.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from kit_helpers import Repos, Run, build_second_repo, run_project_tests, run_retire

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "fixtures" / "second"
SKIPPED = {".git", "__pycache__", ".pytest_cache"}
TIMEOUT = 600


def retire(repos: Repos, root: Path, *args: str) -> Run:
    return run_retire(root, *args, timeout=TIMEOUT)


def fixture_tests(repos: Repos, root: Path) -> Run:
    """The fixture's own pytest suite, run in its repo (its pyproject puts src/ on the path)."""
    return run_project_tests(root, timeout=TIMEOUT)


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and not SKIPPED & set(path.relative_to(root).parts)
    }


def new_repo(repos: Repos) -> Path:
    """A committed repo: the second fixture plus this repo's ``contracts/``."""
    return build_second_repo(repos)


def text(root: Path, path: str) -> str:
    return (root / path).read_text(encoding="utf-8")


def lines(root: Path, path: str) -> list[str]:
    return text(root, path).splitlines()


def original(path: str) -> bytes:
    return (FIXTURE / path).read_bytes()


def assert_refused(run: Run) -> None:
    """Exit 2 with exactly one line, ``error: <reason>``, on stderr."""
    assert run.returncode == 2, str(run)
    error_lines = run.stderr.strip().splitlines()
    assert len(error_lines) == 1, str(run)
    assert error_lines[0].startswith("error: "), str(run)


def changelog_rows(changelog: str, old: str, new: str) -> list[str]:
    """The table rows that move ``old`` to ``new``."""
    rows = [line for line in changelog.splitlines() if line.lstrip().startswith("|")]
    return [row for row in rows if old in row and new in row]


# -- retire every shim that warns ------------------------------------------------------------


@dataclass(frozen=True)
class Retired:
    root: Path
    run: Run


# each scenario: the arguments that retire shims in a fresh copy of the fixture, and a shim file
# the run deletes
SCENARIOS = {
    "deprecated": (("--deprecated",), "src/shop/old_pricing.py"),
    # ``shop.legacy.api`` -> ``shop.compat`` -> ``shop.core.*``; imported ``as api``
    "chain": (("shop.legacy.api",), "src/shop/legacy/api.py"),
    # ``shop.legacy.prices`` binds ``compute_price as price``; ``shop.invoice`` uses it
    "alias": (("shop.legacy.prices",), "src/shop/legacy/prices.py"),
    # ``shop.pricing`` is ``from shop.core.pricing import *`` (the target has ``__all__``)
    "star": (("shop.pricing",), "src/shop/pricing.py"),
}


@pytest.fixture(scope="module")
def retired_trees() -> dict[str, Retired]:
    return {}


def retired_tree(repos: Repos, trees: dict[str, Retired], scenario: str) -> Retired:
    """The scenario's tree after one ``retire_shims.py ... --write``, run once per module."""
    if scenario not in trees:
        root = new_repo(repos)
        trees[scenario] = Retired(root, retire(repos, root, *SCENARIOS[scenario][0], "--write"))
    return trees[scenario]


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_retiring_deletes_the_shim_and_the_fixture_tests_still_pass(
    repos: Repos, retired_trees: dict[str, Retired], scenario: str
) -> None:
    done = retired_tree(repos, retired_trees, scenario)
    assert done.run.returncode == 0, str(done.run)
    assert "error:" not in done.run.stderr
    assert not (done.root / SCENARIOS[scenario][1]).exists(), "nothing was retired"
    run = fixture_tests(repos, done.root)
    assert run.returncode == 0, str(run)
    assert re.search(r"\b10 passed\b", run.stdout), str(run)


@pytest.fixture(scope="module")
def deprecated(repos: Repos, retired_trees: dict[str, Retired]) -> Retired:
    return retired_tree(repos, retired_trees, "deprecated")


def test_deprecated_importers_import_from_the_defining_module(deprecated: Retired) -> None:
    cart = lines(deprecated.root, "src/shop/cart.py")
    assert cart[2] == "from shop.core.pricing import apply_discount"
    assert cart[6] == "    from shop.core.pricing import compute_price  # looked up at call time"
    for path in ("src", "tests"):
        for file in (deprecated.root / path).rglob("*.py"):
            assert "old_pricing" not in file.read_text(encoding="utf-8"), file


def test_deprecated_rewrites_the_mock_patch_string(deprecated: Retired) -> None:
    test = text(deprecated.root, "tests/test_legacy.py")
    assert 'with mock.patch("shop.core.pricing.compute_price", return_value=99.0) as fake:' in test
    assert "shop.old_pricing" not in test


def test_deprecated_leaves_the_facade_and_the_other_shims_alone(deprecated: Retired) -> None:
    for path in (
        "src/shop/core/__init__.py",  # a package facade over its own submodules: not a shim
        "src/shop/compat/__init__.py",
        "src/shop/legacy/api.py",
        "src/shop/legacy/prices.py",
        "src/shop/pricing.py",
        "src/shop/checkout.py",
        "src/shop/invoice.py",
    ):
        assert (deprecated.root / path).read_bytes() == original(path), path


def test_deprecated_adds_a_changelog_entry_with_a_row_per_name(deprecated: Retired) -> None:
    changelog = text(deprecated.root, "CHANGELOG.md")
    assert "`shop.old_pricing`" in changelog
    for name in ("apply_discount", "compute_price"):
        rows = changelog_rows(changelog, f"shop.old_pricing.{name}", f"shop.core.pricing.{name}")
        assert len(rows) == 1, changelog


def test_deprecated_twice_has_nothing_to_do(repos: Repos, deprecated: Retired) -> None:
    repos.commit_all(deprecated.root, "retire the deprecated shims")
    before = snapshot(deprecated.root)
    check = retire(repos, deprecated.root, "--deprecated", "--check")
    again = retire(repos, deprecated.root, "--deprecated", "--write")
    assert check.returncode == 0, str(check)
    assert again.returncode == 0, str(again)
    assert "nothing to do" in again.stdout, str(again)
    assert snapshot(deprecated.root) == before
    assert repos.git(deprecated.root, "status", "--porcelain") == ""


# -- show, check ------------------------------------------------------------------------------


def test_without_write_prints_a_diff_and_changes_nothing(repos: Repos) -> None:
    root = new_repo(repos)
    before = snapshot(root)
    run = retire(repos, root, "--deprecated")
    assert run.returncode == 0, str(run)
    out = run.stdout.splitlines()
    for line in (
        "--- a/src/shop/cart.py",
        "+++ b/src/shop/cart.py",
        "-from shop.old_pricing import apply_discount",
        "+from shop.core.pricing import apply_discount",
        "--- a/src/shop/old_pricing.py",
    ):
        assert line in out, str(run)
    assert snapshot(root) == before


def test_check_exits_1_when_changes_are_pending_and_changes_nothing(repos: Repos) -> None:
    root = new_repo(repos)
    before = snapshot(root)
    run = retire(repos, root, "--deprecated", "--check")
    assert run.returncode == 1, str(run)
    assert snapshot(root) == before


# -- refusals ---------------------------------------------------------------------------------


def test_unknown_module_is_refused(repos: Repos) -> None:
    root = new_repo(repos)
    before = snapshot(root)
    assert_refused(retire(repos, root, "shop.no_such_module", "--write"))
    assert snapshot(root) == before


def test_module_that_is_not_a_shim_is_refused(repos: Repos) -> None:
    root = new_repo(repos)
    before = snapshot(root)
    assert_refused(retire(repos, root, "shop.core.pricing", "--write"))
    assert snapshot(root) == before


def test_dirty_tree_is_refused_without_allow_dirty(repos: Repos) -> None:
    root = new_repo(repos)
    cart = root / "src/shop/cart.py"
    cart.write_text(cart.read_text(encoding="utf-8") + "# work in progress\n", encoding="utf-8")
    before = snapshot(root)
    assert_refused(retire(repos, root, "--deprecated", "--write"))
    assert snapshot(root) == before


# -- retire named modules ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def chain(repos: Repos, retired_trees: dict[str, Retired]) -> Retired:
    return retired_tree(repos, retired_trees, "chain")


def test_chain_shim_is_deleted_and_the_layer_below_kept(chain: Retired) -> None:
    assert not (chain.root / "src/shop/legacy/api.py").exists()
    path = "src/shop/compat/__init__.py"
    assert (chain.root / path).read_bytes() == original(path)


def test_chain_aliased_module_import_becomes_one_import_per_defining_module(chain: Retired) -> None:
    checkout = lines(chain.root, "src/shop/checkout.py")
    assert checkout[2:5] == [
        "from shop.core.inventory import stock_level",
        "from shop.core.pricing import compute_price",
        "from shop.core.inventory import reserve",
    ]
    assert "    if stock_level(sku) < quantity:" in checkout
    assert "    return compute_price(unit_price, quantity)" in checkout
    assert not any("api" in line for line in checkout)


def test_chain_test_importing_through_the_shim_is_rewritten(chain: Retired) -> None:
    test = lines(chain.root, "tests/test_legacy.py")
    comment = "  # through the shims: legacy.api -> compat -> core"
    assert test[3] == "from shop.core.pricing import compute_price" + comment


def test_chain_changelog_rows(chain: Retired) -> None:
    changelog = text(chain.root, "CHANGELOG.md")
    for name, module in (("compute_price", "pricing"), ("stock_level", "inventory")):
        old, new = f"shop.legacy.api.{name}", f"shop.core.{module}.{name}"
        assert len(changelog_rows(changelog, old, new)) == 1, changelog


def test_chain_twice_has_nothing_to_do(repos: Repos, chain: Retired) -> None:
    repos.commit_all(chain.root, "retire shop.legacy.api")
    before = snapshot(chain.root)
    again = retire(repos, chain.root, "shop.legacy.api", "--write")
    assert again.returncode == 0, str(again)
    assert "nothing to do" in again.stdout, str(again)
    assert snapshot(chain.root) == before


@pytest.fixture(scope="module")
def alias(repos: Repos, retired_trees: dict[str, Retired]) -> Retired:
    return retired_tree(repos, retired_trees, "alias")


def test_alias_importer_keeps_its_local_name(alias: Retired) -> None:
    assert not (alias.root / "src/shop/legacy/prices.py").exists()
    invoice = lines(alias.root, "src/shop/invoice.py")
    assert invoice[2] == "from shop.core.pricing import compute_price as price"
    assert "    amount = apply_discount(price(unit_price, quantity), discount_percent)" in invoice


@pytest.fixture(scope="module")
def star(repos: Repos, retired_trees: dict[str, Retired]) -> Retired:
    return retired_tree(repos, retired_trees, "star")


def test_star_importer_imports_from_the_defining_module(star: Retired) -> None:
    assert not (star.root / "src/shop/pricing.py").exists()
    invoice = lines(star.root, "src/shop/invoice.py")
    assert invoice[3] == "from shop.core.pricing import apply_discount"


def test_alias_changelog_row_names_the_name_at_its_new_path(alias: Retired) -> None:
    """``price`` was ``compute_price`` re-exported under an alias: the new path is its real one."""
    changelog = text(alias.root, "CHANGELOG.md")
    assert changelog_rows(
        changelog, "`shop.legacy.prices.price`", "`shop.core.pricing.compute_price`"
    ), changelog
    assert "shop.core.pricing.price`" not in changelog


def test_without_the_plans_test_paths_the_tests_that_import_a_changed_module_run(
    deprecated: Retired,
) -> None:
    """The kit's plan names test paths this tree does not have: the tests whose imports reach a
    changed module are run instead, and pass."""
    output = deprecated.run.stdout
    assert "the tests that import a changed module" in output, output
    assert "verification passed" in output
