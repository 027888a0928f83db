"""``scripts/retire_shims.py`` on several mixed modules retired in one run: a module that keeps
code of its own and re-exports a few names may itself import a name another such module
re-exports (at its top, or inside a function), and be reached as a module object through its
parent package. Each case is a small codebase of its own in a fresh git repository, run through
the real command line (real Bowler), its own tests run before and after.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from kit_helpers import Repos, files_under, run_project_tests, run_retire
from kit_helpers import write_tree as write_files

pytestmark = pytest.mark.slow

# garden.beds and garden.lamps both keep code of their own; beds re-exports ph (between blank
# lines) and imports lux, which lamps re-exports, at its top and inside a function; the package
# imports lamps, so a test reaches it as garden.lamps, a module object whose own WATTS it patches
GARDEN = {
    "pyproject.toml": '[tool.pytest.ini_options]\npythonpath = ["src"]\n',
    "src/garden/__init__.py": "from garden.lamps import lamp as lamp\n",
    "src/garden/soil.py": """\
        def ph(sample):
            return sample * 2


        def moisture(size):
            return size
        """,
    "src/garden/light.py": """\
        def lux(hours):
            return hours * 2
        """,
    "src/garden/lamps.py": """\
        \"\"\"Lamps.\"\"\"
        from garden.light import lux

        WATTS = 60


        def lamp():
            return WATTS
        """,
    "src/garden/beds.py": """\
        \"\"\"Beds.\"\"\"
        from garden import soil

        from garden.soil import ph

        from garden.lamps import lux


        def bed(size):
            return soil.moisture(size) + lux(size)


        def demo():
            from garden.lamps import lux as shine

            return shine(1)
        """,
    "tests/test_garden.py": """\
        from garden.beds import bed, demo, ph
        from garden.lamps import lamp, lux


        def test_garden():
            assert bed(2) == 6
            assert demo() == 2
            assert ph(1) == 2
            assert lux(3) == 6
            assert lamp() == 60
        """,
    "tests/test_lamps.py": """\
        import garden


        def test_watts(monkeypatch):
            monkeypatch.setattr(garden.lamps, "WATTS", 100)
            assert garden.lamp() == 100
            assert garden.lamps.lux(2) == 4
        """,
}


@pytest.fixture(scope="module")
def garden(repos: Repos) -> tuple[Path, dict[str, bytes], str]:
    root = write_files(repos.make(None, "garden"), GARDEN)
    repos.commit_all(root, "garden")
    tests = run_project_tests(root)
    assert tests.returncode == 0 and "2 passed" in tests.stdout, str(tests)
    before = files_under(root)
    run = run_retire(root, "garden.beds", "garden.lamps", "--write")
    assert run.returncode == 0, str(run)
    assert "verification passed" in run.stdout, str(run)
    return root, before, run.stdout


def text(root: Path, path: str) -> str:
    return (root / path).read_text(encoding="utf-8")


def test_a_mixed_module_importing_another_ones_re_export_is_pointed_at_the_source(
    garden: tuple[Path, dict[str, bytes], str],
) -> None:
    root, _, _ = garden
    # its own re-export goes (with the blank line it would leave doubled); its imports of the
    # other module's re-export, at the top and inside a function, go to the source
    assert text(root, "src/garden/beds.py") == textwrap.dedent(
        """\
        \"\"\"Beds.\"\"\"
        from garden import soil

        from garden.light import lux


        def bed(size):
            return soil.moisture(size) + lux(size)


        def demo():
            from garden.light import lux as shine

            return shine(1)
        """
    )
    assert text(root, "src/garden/lamps.py") == textwrap.dedent(
        """\
        \"\"\"Lamps.\"\"\"

        WATTS = 60


        def lamp():
            return WATTS
        """
    )
    assert text(root, "tests/test_garden.py").startswith(
        "from garden.beds import bed, demo\nfrom garden.soil import ph\n"
        "from garden.lamps import lamp\nfrom garden.light import lux\n"
    )
    run = run_project_tests(root)
    assert run.returncode == 0 and "2 passed" in run.stdout, str(run)


def test_a_mixed_module_used_as_an_object_through_its_package_stays_that_module(
    garden: tuple[Path, dict[str, bytes], str],
) -> None:
    # every re-export of garden.lamps goes to garden.light, yet the module object stays
    # garden.lamps: its own WATTS is patched there; only the chain to a moved name moves
    root, before, _ = garden
    lamps = text(root, "tests/test_lamps.py")
    assert 'monkeypatch.setattr(garden.lamps, "WATTS", 100)' in lamps
    assert "garden.light.lux(2) == 4" in lamps and lamps.startswith("import garden\n")
    assert "import garden.light\n" in lamps
    assert text(root, "src/garden/__init__.py") == before["src/garden/__init__.py"].decode()
