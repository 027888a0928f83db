"""``scripts/retire_shims.py`` on what the established rename tools handle and the kit refused:
a module that re-exports a few names beside code of its own (a mixed module), attribute chains
through a parent package, a module whose source moved to the top level, and a moved module that
imports its old path. Each case is a small codebase of its own in a fresh git repository, run
through the real command line, its own tests run before and after.
"""

from __future__ import annotations

import sys
import textwrap
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from kit_helpers import (
    REPO,
    Repos,
    Run,
    files_under,
    lint_imports,
    quick_plan,
    run_in,
    run_project_tests,
    run_retire,
)
from kit_helpers import write_tree as write_files
from shimkit.analysis import find_mixed, find_references, render_markdown, scan
from shimkit.analysis.inventory import inventory_of
from shimkit.cli import retire_main
from shimkit.domain.importlinter_file import ContractsState, render

pytestmark = pytest.mark.slow

PYPROJECT = """\
[tool.pytest.ini_options]
pythonpath = ["src"]
"""

# shop.money has code of its own (fmt, with_tax), uses TAX itself, and re-exports gross and net
SHOP = {
    "pyproject.toml": PYPROJECT,
    "src/shop/__init__.py": "",
    "src/shop/pricing.py": """\
        TAX = 0.5


        def net(amount):
            return amount


        def gross(amount):
            return amount * (1 + TAX)
        """,
    "src/shop/money.py": """\
        \"\"\"Money helpers.\"\"\"
        from shop.pricing import TAX
        from shop.pricing import gross, net


        def fmt(amount):
            return f"{amount:.2f}"


        def with_tax(amount):
            return amount * (1 + TAX)
        """,
    "src/shop/cart.py": """\
        from shop.money import fmt, net


        def line(amount):
            return fmt(net(amount))
        """,
    "src/shop/checkout.py": """\
        from shop import money


        def total(amount):
            return money.fmt(money.gross(amount)), money.with_tax(amount)
        """,
    "src/shop/report.py": """\
        import shop.money


        def raw(amount):
            return shop.money.net(amount)
        """,
    "src/shop/labels.py": """\
        import shop.money as m


        def label(amount):
            return "net " + m.fmt(m.net(amount))


        def helpers():
            return m
        """,
    "tests/test_shop.py": """\
        import pkgutil

        from shop.cart import line
        from shop.checkout import total
        from shop.labels import helpers, label
        from shop.report import raw


        def test_shop():
            assert line(2) == "2.00"
            assert total(2) == ("3.00", 3.0)
            assert raw(4) == 4
            assert label(1) == "net 1.00"
            assert helpers().fmt(1) == "1.00"
            assert pkgutil.resolve_name("shop.money.net")(5) == 5
        """,
}


@dataclass(frozen=True)
class Retired:
    root: Path
    before: dict[str, bytes]
    run: Run

    def text(self, path: str) -> str:
        return (self.root / path).read_text(encoding="utf-8")


def codebase(repos: Repos, name: str, files: dict[str, str]) -> Path:
    root = write_files(repos.make(None, name), files)
    repos.commit_all(root, name)
    tests = run_project_tests(root)
    assert tests.returncode == 0, f"the example's own tests fail before the run\n{tests}"
    return root


def retired(repos: Repos, name: str, files: dict[str, str], *args: str) -> Retired:
    root = codebase(repos, name, files)
    before = files_under(root)
    return Retired(root, before, run_retire(root, *args))


@pytest.fixture(scope="module")
def shop(repos: Repos) -> Retired:
    return retired(repos, "shop", SHOP, "shop.money", "--write")


# -- 1. a mixed module ---------------------------------------------------------------------------


def test_a_mixed_module_loses_its_re_exports_and_keeps_its_own_code(shop: Retired) -> None:
    assert shop.run.returncode == 0, str(shop.run)
    assert "verification passed" in shop.run.stdout, str(shop.run)
    assert "retired the re-exports of shop.money" in shop.run.stdout, str(shop.run)
    money = shop.text("src/shop/money.py")
    assert "from shop.pricing import gross, net" not in money
    assert money == shop.before["src/shop/money.py"].decode().replace(
        "from shop.pricing import gross, net\n", ""
    )
    run = run_project_tests(shop.root)
    assert run.returncode == 0 and "1 passed" in run.stdout, str(run)


def test_every_importer_of_a_re_export_imports_it_from_its_source(shop: Retired) -> None:
    assert shop.text("src/shop/cart.py").startswith(
        "from shop.money import fmt\nfrom shop.pricing import net\n"
    )
    # an importer of both kinds of names gets an import of each; the module's own stay as they were
    checkout = shop.text("src/shop/checkout.py")
    assert checkout.startswith("from shop import money\nfrom shop.pricing import gross\n")
    assert "return money.fmt(gross(amount)), money.with_tax(amount)" in checkout
    # only re-exports used: the import follows them
    report = shop.text("src/shop/report.py")
    assert report.startswith("import shop.pricing\n")
    assert "return shop.pricing.net(amount)" in report
    # the module used as an object, and an alias: it stays, the moved name is imported apart
    labels = shop.text("src/shop/labels.py")
    assert labels.startswith("import shop.money as m\nfrom shop.pricing import net\n")
    assert 'return "net " + m.fmt(net(amount))' in labels
    assert '"shop.pricing.net"' in shop.text("tests/test_shop.py")


def test_the_verification_checks_every_retired_re_export(shop: Retired) -> None:
    row = next(line for line in shop.run.stdout.splitlines() if "retired re-export" in line)
    assert "ok" in row and "shop.money.gross" in row, row
    changelog = shop.text("CHANGELOG.md")
    assert "| `net` | `shop.money.net` | `shop.pricing.net` |" in changelog
    assert "| `gross` | `shop.money.gross` | `shop.pricing.gross` |" in changelog


def test_the_inventory_says_which_names_of_a_mixed_module_are_re_exports(
    tmp_path: Path,
) -> None:
    codebase = scan(write_files(tmp_path, SHOP), "src")
    mixed = find_mixed(codebase)
    assert [(m.module, [(r.name, r.imported_from) for r in m.reexports]) for m in mixed] == [
        ("shop.money", [("gross", "shop.pricing"), ("net", "shop.pricing")])
    ]
    inventory = replace(inventory_of(codebase), mixed=mixed)
    assert (
        "- `shop.money`: `gross` (from `shop.pricing`), `net` (from `shop.pricing`)"
        in render_markdown(inventory).splitlines()
    )


def test_a_star_import_of_a_mixed_module_keeps_its_re_exports(repos: Repos) -> None:
    files = {
        **SHOP,
        "src/shop/legacy.py": "from shop.money import *  # noqa: F403\n",
    }
    run = retired(repos, "star", files, "shop.money", "--write")
    assert run.run.returncode == 1, str(run.run)
    assert "from shop.money import *" in run.run.stdout
    assert "takes its re-exports too" in run.run.stdout.replace("\n", " "), str(run.run)
    assert files_under(run.root) == run.before


def test_a_re_export_listed_in_all_is_left_to_a_person(repos: Repos) -> None:
    money = SHOP["src/shop/money.py"] + '\n\n        __all__ = ["fmt", "net", "with_tax"]\n'
    run = retired(repos, "listed", {**SHOP, "src/shop/money.py": money}, "shop.money", "--write")
    assert run.run.returncode == 1, str(run.run)
    assert "__all__ lists the re-export net" in " ".join(run.run.stdout.split()), str(run.run)
    assert files_under(run.root) == run.before


def test_public_api_keeps_the_re_exports_behind_a_warning(
    repos: Repos, capsys: pytest.CaptureFixture[str]
) -> None:
    root = codebase(repos, "public", SHOP)
    plan = replace(quick_plan(), public_api=("shop.money",), warn_on_reexports=True)
    assert retire_main(plan, ["--root", str(root), "shop.money", "--write"]) == 0
    out = capsys.readouterr().out
    assert "verification passed" in out, out
    money = (root / "src/shop/money.py").read_text(encoding="utf-8")
    assert "from shop.pricing import gross, net\n" not in money
    assert "def __getattr__(name: str) -> object:" in money
    cart = (root / "src/shop/cart.py").read_text(encoding="utf-8")
    assert cart.startswith("from shop.money import fmt\nfrom shop.pricing import net\n")
    run = run_project_tests(root)
    assert run.returncode == 0, str(run)
    probe = (
        "import warnings, shop.money\n"
        "with warnings.catch_warnings(record=True) as caught:\n"
        "    warnings.simplefilter('always')\n"
        "    assert shop.money.net(3) == 3\n"
        "print(caught[0].category.__name__, caught[0].message)\n"
    )
    done = run_in(root / "src", [sys.executable, "-c", probe])
    assert done.returncode == 0, str(done)
    assert done.stdout.strip() == (
        "DeprecationWarning shop.money.net is deprecated: import net from shop.pricing"
    )


# -- 2. attribute chains through a parent package ----------------------------------------------

CHAINS = {
    "pyproject.toml": PYPROJECT,
    "src/hashing/__init__.py": "",
    "src/hashing/core.py": """\
        def crc(data):
            return data + 1


        def adler(data):
            return data + 2
        """,
    "src/hashing/extra.py": """\
        def xor(data):
            return data ^ 1
        """,
    # the package imports its shim submodule: ``app.checks`` is reachable as an attribute
    "src/app/__init__.py": "from . import checks  # noqa: F401\n",
    "src/app/checks.py": "from hashing.core import adler, crc  # noqa: F401\n",
    # ... and this one imports its shim submodule's names: ``app.tools.sums`` is loaded too
    "src/app/tools/__init__.py": "from .sums import crc, xor  # noqa: F401\n",
    "src/app/tools/sums.py": """\
        from hashing.core import crc  # noqa: F401
        from hashing.extra import xor  # noqa: F401
        """,
    "src/app/run.py": """\
        import app
        import app as application
        from app import tools


        def run():
            return app.checks.crc(1), application.checks.adler(1), tools.sums.crc(2)


        def mixed():
            return tools.sums.crc(1), tools.sums.xor(1)
        """,
    "tests/test_run.py": """\
        from app.run import mixed, run


        def test_run():
            assert run() == (2, 3, 3)
            assert mixed() == (2, 0)
        """,
}


def test_attribute_chains_through_a_parent_package_are_rewritten(repos: Repos) -> None:
    run = retired(repos, "chains", CHAINS, "app.checks", "app.tools.sums", "--write")
    assert run.run.returncode == 0, str(run.run)
    assert "verification passed" in run.run.stdout, str(run.run)
    assert not (run.root / "src/app/checks.py").exists()
    assert not (run.root / "src/app/tools/sums.py").exists()
    assert run.text("src/app/run.py") == textwrap.dedent(
        """\
        import hashing.core
        from hashing.core import crc
        from hashing.extra import xor


        def run():
            return hashing.core.crc(1), hashing.core.adler(1), crc(2)


        def mixed():
            return crc(1), xor(1)
        """
    )
    tests = run_project_tests(run.root)
    assert tests.returncode == 0, str(tests)


def test_a_chain_naming_a_deleted_module_is_a_reference(repos: Repos) -> None:
    """What the verification reads after a change: ``a.b.name`` through ``import a`` names the
    module ``a.b`` even where its file is gone."""
    root = repos.make(None, "deleted")
    files = {k: v for k, v in CHAINS.items() if k != "src/app/checks.py"}
    write_files(root, files)
    found = find_references(scan(root, "src"), ["app.checks"])
    assert [(r.path, r.line, r.names) for r in found] == [
        ("src/app/__init__.py", 1, ()),
        ("src/app/run.py", 1, ("crc",)),
        ("src/app/run.py", 2, ("adler",)),
    ]


# -- 3. a module whose source is a top-level module ----------------------------------------------

TOP_LEVEL = {
    "pyproject.toml": PYPROJECT,
    "src/geometry.py": """\
        def area(width, height):
            return width * height
        """,
    "src/plots/__init__.py": "",
    "src/plots/colors.py": "RED = 'red'\n",
    "src/plots/geometry.py": "from geometry import *  # noqa: F403\n",
    "src/plots/draw.py": """\
        from plots import colors, geometry
        from plots import geometry as g
        from . import geometry as rel


        def box():
            return colors.RED, geometry.area(2, 3), g.area(1, 1), rel.area(2, 2)
        """,
    "tests/test_draw.py": """\
        from plots.draw import box


        def test_box():
            assert box() == ("red", 6, 1, 4)
        """,
}


def test_a_from_import_of_a_module_moved_to_the_top_level_becomes_an_import(
    repos: Repos,
) -> None:
    run = retired(repos, "top", TOP_LEVEL, "plots.geometry", "--write")
    assert run.run.returncode == 0, str(run.run)
    assert "verification passed" in run.run.stdout, str(run.run)
    assert not (run.root / "src/plots/geometry.py").exists()
    assert run.text("src/plots/draw.py").startswith(
        "from plots import colors\nimport geometry\nimport geometry as g\nimport geometry as rel\n"
    )
    tests = run_project_tests(run.root)
    assert tests.returncode == 0, str(tests)


# -- 4. a moved module that imports its old path -------------------------------------------------

SELF_IMPORT = {
    "pyproject.toml": PYPROJECT,
    "src/legacy_units.py": "from units.convert import *  # noqa: F403\n",
    "src/units/__init__.py": "",
    "src/units/convert.py": """\
        import legacy_units


        def metres(feet):
            return feet * 0.3048


        def centimetres(feet):
            return legacy_units.metres(feet) * 100
        """,
    "src/units/report.py": """\
        from legacy_units import *  # noqa: F403


        def show(feet):
            return round(centimetres(feet))  # noqa: F405
        """,
    "tests/test_units.py": """\
        from units.report import show


        def test_show():
            assert show(1) == 30
        """,
}


def test_a_moved_module_importing_its_old_path_is_rewritten_like_any_importer(
    repos: Repos,
) -> None:
    run = retired(repos, "self", SELF_IMPORT, "legacy_units", "--write")
    assert run.run.returncode == 0, str(run.run)
    assert "verification passed" in run.run.stdout, str(run.run)
    assert not (run.root / "src/legacy_units.py").exists()
    convert = run.text("src/units/convert.py")
    assert convert.startswith("import units.convert\n")
    assert "return units.convert.metres(feet) * 100" in convert
    assert run.text("src/units/report.py").startswith("from units.convert import *  # noqa: F403")
    tests = run_project_tests(run.root)
    assert tests.returncode == 0, str(tests)


# -- contracts and the gate hold a retired re-export --------------------------------------------


def test_contracts_and_the_gate_refuse_a_retired_re_export(repos: Repos) -> None:
    root = write_files(repos.make(None, "guarded"), SHOP)
    repos.copy_tree(REPO / "contracts", root / "contracts")
    state = ContractsState(
        root_packages=("shop",),
        shims=quick_plan().shims,
        allowed_importers=(),
        allowlist=(),
        layers=(),
        layers_allowlist=(),
        reexport_only=(),
        retired=(),
    )
    (root / ".importlinter").write_text(render(state), encoding="utf-8")
    repos.commit_all(root, "a shop with contracts")
    assert lint_imports(root).returncode == 0, lint_imports(root).stdout
    run = run_retire(root, "shop.money", "--write")
    assert run.returncode == 0, str(run)
    config = (root / ".importlinter").read_text(encoding="utf-8")
    assert "names =\n    shop.money:gross\n    shop.money:net\n" in config
    assert lint_imports(root).returncode == 0, lint_imports(root).stdout

    write_files(root, {"src/shop/late.py": "from shop.money import fmt, net\n"})
    linted = lint_imports(root)
    assert linted.returncode == 1, linted.stdout
    assert "Imports of retired re-export shop.money.net:" in linted.stdout
    assert "shop.shop" not in linted.stdout
    gate = run_in(
        root,
        [sys.executable, str(REPO / "scripts/shim_gate.py"), "--root", ".", "imports",
         "src/shop/late.py", "src/shop/cart.py"],
    )  # fmt: skip
    assert gate.returncode == 1, str(gate)
    assert gate.stdout.strip() == (
        "src/shop/late.py:1: from shop.money import fmt, net -> the retired re-export net of "
        "shop.money: import it from its source (CHANGELOG.md names it)"
    )


# a test that filters a warning of the mixed module's own code names the module; it is no test
# about a retired re-export, and its other imports of re-exports move like any other
CLOCK = {
    "pyproject.toml": PYPROJECT,
    "src/clock/__init__.py": "",
    "src/clock/ticks.py": """\
        def now():
            return 7
        """,
    "src/clock/legacy.py": """\
        import warnings

        from clock.ticks import now


        def old_now():
            warnings.warn("use now", UserWarning, stacklevel=2)
            return 7
        """,
    "tests/test_clock.py": """\
        import warnings

        from clock.legacy import now, old_now


        def test_old_now_warns_and_now_ticks():
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", "use now", UserWarning, "clock.legacy")
                assert old_now() == now()
        """,
}


def test_a_warning_filter_naming_a_mixed_module_leaves_its_file_rewritable(
    repos: Repos,
) -> None:
    done = retired(repos, "clock", CLOCK, "clock.legacy", "--write")
    assert done.run.returncode == 0, str(done.run)
    assert "tests the retired shim" not in done.run.stdout + done.run.stderr, str(done.run)
    test = done.text("tests/test_clock.py")
    assert "from clock.legacy import old_now\nfrom clock.ticks import now\n" in test, test
    assert '"clock.legacy"' in test
    assert "import now" not in done.text("src/clock/legacy.py")
