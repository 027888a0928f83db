"""Rewrites for a retired top-level package of star layers: star imports of it become star
imports of the modules that bind the same names, and a word equal to its name never changes."""

from __future__ import annotations

import textwrap

import pytest
from shimkit.domain.model import Moves
from shimkit.rewrite import rewrite_source
from shimkit.rewrite.bowler_engine import rewrite_with_bowler
from shimkit.rewrite.facts import Edit, Facts
from shimkit.rewrite.libcst_engine import rewrite_with_libcst
from shimkit.rewrite.planner import plan_edits

NAMES = ("Study", "TrialExecutor", "uniform")
MOVES = Moves(
    names={
        **{("hpo", name): "tuning" for name in NAMES},
        ("hpo.legacy", "uniform"): "tuning.space.distributions",
        ("hpo.legacy", "grid_sampler"): "tuning.space.samplers",
    },
    modules={"hpo": "tuning"},
    stars={
        "hpo": ("tuning",),
        "hpo.legacy": ("tuning.space.distributions", "tuning.space.samplers"),
    },
)


def rewrite(text: str, importer: str | None = "sweeps.runner") -> str:
    source = textwrap.dedent(text)
    outcome = rewrite_source(source, "src/sweeps/runner.py", MOVES, importer, False)
    again = rewrite_source(outcome.text, "src/sweeps/runner.py", MOVES, importer, False)
    assert again.text == outcome.text, "rewriting twice must be a no-op"
    return outcome.text


def test_a_star_import_becomes_a_star_import_of_the_module_binding_the_same_names() -> None:
    assert rewrite("from hpo import *  # noqa: F403\n") == "from tuning import *  # noqa: F403\n"


def test_a_star_import_of_a_layer_over_several_modules_becomes_one_per_module() -> None:
    before = """\
        def space():
            from hpo.legacy import *  # noqa: F403
            return uniform(0, 1)
        """
    after = """\
        def space():
            from tuning.space.distributions import *
            from tuning.space.samplers import *  # noqa: F403
            return uniform(0, 1)
        """
    assert rewrite(before) == textwrap.dedent(after)


def test_both_engines_give_the_same_star_rewrite() -> None:
    source = "import os\nfrom hpo.legacy import *\nfrom hpo import *; x = 1\n"

    def planner(facts: Facts) -> list[Edit]:
        return plan_edits(source, facts, MOVES, "sweeps.x", False, "a.py")

    bowler = rewrite_with_bowler(source, "a.py", MOVES.old_modules(), planner)
    assert rewrite_with_libcst(source, planner) == bowler
    assert bowler == (
        "import os\nfrom tuning.space.distributions import *\nfrom tuning.space.samplers import *\n"
        "from tuning import *; x = 1\n"
    )


@pytest.mark.parametrize(
    "line",
    [
        'STAGE = "hpo"',
        "LOGGER = logging.getLogger('hpo')",
        'DEFAULTS = {"hpo": {"n_trials": 8}}',
        'RESULTS = "runs/hpo"',
        'log.info("stage %s", "hpo")',
    ],
)
def test_a_word_equal_to_a_moved_top_level_package_never_changes(line: str) -> None:
    source = f"import logging\n\nimport hpo\n\n{line}\nhpo.Study()\n"
    assert rewrite(source) == f"import logging\n\nimport tuning\n\n{line}\ntuning.Study()\n"


def test_a_dotted_string_naming_a_moved_name_changes() -> None:
    source = 'mock.patch("hpo.Study")\nmock.patch("hpo")\n'
    assert rewrite(source) == 'mock.patch("tuning.Study")\nmock.patch("hpo")\n'
