"""``retire_shims.py --deprecated --write`` on real deprecated layers (``tests/fixtures/
deprecated_layers``): star chains, a lazy ``__getattr__`` package, facades whose submodules are
shims, and every importer form. All of them go, the fixture's own tests pass before and after,
and no string that merely equals a package name changes. Laid over it,
``deprecated_layers_computed`` adds a layer whose name a ``__getattr__`` computes: that layer
stays, named in the report with the reason, the others go, and the run exits 1.
"""

from __future__ import annotations

import ast
import io
import os
import subprocess
import sys
import tokenize
from dataclasses import dataclass
from pathlib import Path

import pytest
from kit_helpers import Repos, Run, files_under, run_project_tests, run_retire

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LAYERS = FIXTURES / "deprecated_layers"
COMPUTED = FIXTURES / "deprecated_layers_computed"
HPO_FILES = (
    "src/hpo/__init__.py",
    "src/hpo/core/__init__.py",
    "src/hpo/core/distributions.py",
    "src/hpo/core/samplers.py",
    "src/hpo/executors.py",
    "src/hpo/legacy.py",
)


@dataclass(frozen=True)
class Retired:
    root: Path
    before: dict[str, bytes]
    run: Run


def retired(repos: Repos, name: str, *overlays: Path) -> Retired:
    root = repos.make(None, name)
    for tree in (LAYERS, *overlays):
        repos.copy_tree(tree, root)
    (root / "README.md").unlink()
    repos.commit_all(root, "a codebase with deprecated layers")
    tests = run_project_tests(root)
    assert tests.returncode == 0, f"the fixture's own tests fail before the retirement\n{tests}"
    before = files_under(root)
    return Retired(root, before, run_retire(root, "--deprecated", "--write"))


@pytest.fixture(scope="module")
def layers(repos: Repos) -> Retired:
    return retired(repos, "layers")


@pytest.fixture(scope="module")
def computed(repos: Repos) -> Retired:
    return retired(repos, "computed", COMPUTED)


def plain_words(text: str) -> list[tuple[int, str]]:
    """Every string literal whose value has no dot (never a module path), exactly as written,
    with its line."""
    words = []
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type != tokenize.STRING:
            continue  # f-strings are FSTRING_* tokens from Python 3.12 on, one STRING before
        try:
            value = str(ast.literal_eval(token.string))
        except ValueError:  # an f-string: its text as written
            value = token.string
        if "." not in value:
            words.append((token.start[0], token.string))
    return words


def lines(root: Path, path: str) -> list[str]:
    return (root / path).read_text(encoding="utf-8").splitlines()


def test_every_deprecated_layer_is_retired_and_verified(layers: Retired) -> None:
    assert layers.run.returncode == 0, str(layers.run)
    assert "verification passed" in layers.run.stdout, str(layers.run)
    for path in HPO_FILES:
        assert not (layers.root / path).exists(), path
    assert not list((layers.root / "src").glob("hpo/**/*.py"))


def test_the_fixture_tests_pass_after_the_retirement(layers: Retired) -> None:
    run = run_project_tests(layers.root)
    assert run.returncode == 0, str(run)
    assert "12 passed" in run.stdout, str(run)


def test_no_string_that_merely_equals_a_package_name_changes(layers: Retired) -> None:
    after = files_under(layers.root)
    assert after["src/sweeps/config.py"] == layers.before["src/sweeps/config.py"]
    for path, old in layers.before.items():
        if path.endswith(".py") and path in after:
            assert plain_words(after[path].decode()) == plain_words(old.decode()), path
    runner = lines(layers.root, "src/sweeps/runner.py")
    assert '    log.info("stage %s: sweep %s", "hpo", name)' in runner
    test = lines(layers.root, "tests/test_sweeps.py")
    assert '@pytest.mark.parametrize("stage", ["hpo", "train"])' in test


def test_star_importers_star_import_what_binds_the_same_names(layers: Retired) -> None:
    # hpo.legacy -> hpo.core -> hpo.core.{distributions,samplers} -> tuning.space.*: the package
    # tuning.space binds exactly the names the chain passed on
    assert lines(layers.root, "src/sweeps/grid.py")[2] == "from tuning.space import *  # noqa: F403"


def test_module_and_attribute_uses_move_to_the_lazy_package_and_keep_its_laziness(
    layers: Retired,
) -> None:
    runner = lines(layers.root, "src/sweeps/runner.py")
    assert runner[7:9] == ["import tuning", "from tuning import Study"]
    assert "    executor = tuning.TrialExecutor(objective)" in runner[22]
    # importing the runner no longer loads the executor: tuning provides it on first use
    code = "import sys, sweeps.runner\nassert 'tuning.executors.trial' not in sys.modules\n"
    env = {**Repos.env(), "PYTHONPATH": str(layers.root / "src")}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_function_local_and_submodule_imports_are_rewritten_in_place(layers: Retired) -> None:
    local = lines(layers.root, "src/sweeps/local.py")
    assert local[6] == "from tuning.space import distributions"
    assert local[14].startswith("    from tuning.executors import PoolExecutor  # imported here")
    assert local[16] == "    from tuning import create_study, random_sampler"


def test_patch_strings_name_where_the_code_now_looks(layers: Retired) -> None:
    test = (layers.root / "tests/test_sweeps.py").read_text(encoding="utf-8")
    assert 'mock.patch("tuning.create_study", return_value=fake)' in test
    assert 'mock.patch("tuning.executors.PoolExecutor")' in test
    assert '"hpo.' not in test


def test_the_changelog_names_every_layer_and_where_its_names_went(layers: Retired) -> None:
    changelog = (layers.root / "CHANGELOG.md").read_text(encoding="utf-8")
    for module in ("hpo", "hpo.core", "hpo.core.distributions", "hpo.executors", "hpo.legacy"):
        assert f"  - `{module}`" in changelog, module
    assert "| `TrialExecutor` | `hpo.TrialExecutor` | `tuning.TrialExecutor` |" in changelog


def test_a_layer_whose_name_is_computed_stays_and_the_others_go(computed: Retired) -> None:
    run = computed.run
    assert run.returncode == 1, str(run)
    assert "error:" not in run.stderr, str(run)
    assert "verification passed" in run.stdout, str(run)
    for path in HPO_FILES:
        assert not (computed.root / path).exists(), path
    after = files_under(computed.root)
    for path in ("src/sweeps/ray_compat.py", "src/sweeps/cluster.py", "tests/test_cluster.py"):
        assert after[path] == computed.before[path], path
    row = next(line for line in run.stdout.splitlines() if "sweeps.ray_compat.RayExecutor" in line)
    assert row.startswith("│ sweeps.ray_compat ")
    assert "tuning.plugins.__getattr__ computes it (line 11)" in row
    assert "1 of the 5 layer(s) asked for stay: sweeps.ray_compat" in run.stdout
    tests = run_project_tests(computed.root)
    assert tests.returncode == 0, str(tests)


def test_check_on_a_tree_with_a_layer_left_exits_1_and_changes_nothing(repos: Repos) -> None:
    root = repos.make(None, "check")
    for tree in (LAYERS, COMPUTED):
        repos.copy_tree(tree, root)
    repos.commit_all(root, "a codebase with deprecated layers")
    before = files_under(root)
    for args in (("--check",), ()):
        run = run_retire(root, "--deprecated", *args)
        assert run.returncode == 1, str(run)
        assert "sweeps.ray_compat" in run.stdout, str(run)
    assert files_under(root) == before
    assert os.listdir(root / "src/hpo")
