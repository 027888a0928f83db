"""Bowler first, LibCST for what fissix cannot parse, the same bytes from both; errors otherwise."""

from __future__ import annotations

import textwrap

import pytest
from rewrite_moves import MOVES as BASE_MOVES
from shimkit.domain.model import Engine, Moves
from shimkit.rewrite import RewriteError, rewrite_source
from shimkit.rewrite.bowler_engine import FissixParseFailure, parse_fissix, rewrite_with_bowler
from shimkit.rewrite.facts import Edit, Facts
from shimkit.rewrite.libcst_engine import rewrite_with_libcst
from shimkit.rewrite.planner import plan_edits

MOVES = Moves(
    names={
        **BASE_MOVES.names,
        # names a shim re-exported under an alias (``compute_price as price``)
        ("shop.legacy.prices", "price"): "shop.core.pricing",
        ("shop.legacy.prices", "discount"): "shop.core.pricing",
        ("shop.legacy.prices", "vat"): "shop.core.tax",
        ("shop.legacy.money", "price"): "shop.core.pricing",
    },
    modules={**BASE_MOVES.modules, "shop.legacy.money": "shop.core.pricing"},
    renames={
        ("shop.legacy.prices", "price"): "compute_price",
        ("shop.legacy.prices", "vat"): "vat_rate",
        ("shop.legacy.money", "price"): "compute_price",
    },
)

TEMPLATE = textwrap.dedent(
    """\
    \"\"\"A module.\"\"\"
    import orchestration.jobs.tracking.utils.mlflow_utils as mu
    from orchestration.jobs.tracking import mlflow_helpers
    from orchestration.mlflow_utils import (
        setup_mlflow_for_stage,  # setup
    )

    try:
        from .mlflow_utils import retry_with_backoff as rwb
    except ImportError:
        from orchestration.jobs.tracking.utils.mlflow_utils import retry_with_backoff as rwb


    @mock.patch("orchestration.jobs.tracking.utils.mlflow_utils.get_mlflow_run_url")
    def handle(event, *args, key=None):
        url = mu.get_mlflow_run_url(event, key=key)
    {block}
        return mlflow_helpers.create_child_run(mu.retry_with_backoff(url), f"{{url}}")
    """
)

EXPECTED = textwrap.dedent(
    """\
    \"\"\"A module.\"\"\"
    from infrastructure.tracking.mlflow.urls import get_mlflow_run_url
    from infrastructure.tracking.mlflow.utils import retry_with_backoff
    from infrastructure.tracking.mlflow import runs as mlflow_helpers
    from infrastructure.tracking.mlflow.setup import (
        setup_mlflow_for_stage,  # setup
    )

    from infrastructure.tracking.mlflow.utils import retry_with_backoff as rwb


    @mock.patch("infrastructure.tracking.mlflow.urls.get_mlflow_run_url")
    def handle(event, *args, key=None):
        url = get_mlflow_run_url(event, key=key)
    {block}
        return mlflow_helpers.create_child_run(retry_with_backoff(url), f"{{url}}")
    """
)

PARSABLE = """\
    if event:
        setup_mlflow_for_stage("orchestration.mlflow_utils")"""

MODERN = {
    "match": """\
    match event:
        case {"stage": stage}:
            setup_mlflow_for_stage("orchestration.mlflow_utils")""",
    "except-star": """\
    try:
        setup_mlflow_for_stage("orchestration.mlflow_utils")
    except* ValueError:
        pass""",
    "pep695": """\
    type Stage = str
    def inner[T](value: T) -> T:
        return setup_mlflow_for_stage("orchestration.mlflow_utils")""",
    "parenthesised-with": """\
    with (open(a) as f,
          open(b) as g):
        setup_mlflow_for_stage("orchestration.mlflow_utils")""",
    "fstring-312": """\
    if event:
        setup_mlflow_for_stage(f"{event["orchestration.mlflow_utils"]}")""",
}

REWRITTEN_BLOCK = {
    name: block.replace('"orchestration.mlflow_utils"', '"infrastructure.tracking.mlflow.setup"')
    if name != "fstring-312"
    else block
    for name, block in {"parsable": PARSABLE, **MODERN}.items()
}

IMPORTER = "orchestration.jobs.tracking.utils.runner"


def test_a_parsable_file_goes_through_bowler() -> None:
    outcome = rewrite_source(TEMPLATE.format(block=PARSABLE), "a.py", MOVES, IMPORTER, False)
    assert outcome.engine is Engine.BOWLER
    assert outcome.text == EXPECTED.format(block=REWRITTEN_BLOCK["parsable"])


@pytest.mark.parametrize("name", sorted(MODERN))
def test_syntax_fissix_cannot_parse_goes_through_libcst_with_the_same_output(name: str) -> None:
    source = TEMPLATE.format(block=MODERN[name])
    with pytest.raises(FissixParseFailure):
        parse_fissix(source)
    outcome = rewrite_source(source, "a.py", MOVES, IMPORTER, False)
    assert outcome.engine is Engine.LIBCST
    assert outcome.text == EXPECTED.format(block=REWRITTEN_BLOCK[name])
    bowler = rewrite_source(TEMPLATE.format(block=PARSABLE), "a.py", MOVES, IMPORTER, False)
    # outside the block the two engines wrote the very same bytes
    assert outcome.text.split(REWRITTEN_BLOCK[name]) == bowler.text.split(
        REWRITTEN_BLOCK["parsable"]
    )
    assert rewrite_source(outcome.text, "a.py", MOVES, IMPORTER, False).engine is None


PARITY_FILES = [
    TEMPLATE.format(block=PARSABLE),
    "import os\r\nfrom orchestration.jobs.tracking.mlflow_utils import (\r\n"
    "    retry_with_backoff,  # r\r\n    get_mlflow_run_url,\r\n)\r\n"
    "x = 'orchestration.mlflow_utils'",
    textwrap.dedent(
        """\
        import orchestration.mlflow_utils, os  # both
        import orchestration.mlflow_utils as dep; x = 1
        from orchestration.jobs.tracking.mlflow_helpers import create_child_run as ccr, other
        @orchestration.mlflow_utils.setup_mlflow_for_stage
        def f(a=orchestration.mlflow_utils.setup_mlflow_for_stage, *, b=dep.setup_mlflow_for_stage):
            '''Doc mentioning orchestration.mlflow_utils.'''
            (orchestration.mlflow_utils).setup_mlflow_for_stage
            return dict(orchestration="orchestration.mlflow_utils.setup_mlflow_for_stage")
        """
    ),
    # aliased re-exports: from-imports (plain, aliased, collapsing, split), module aliases with
    # one and with several target modules, a dotted import, a submodule import, strings
    textwrap.dedent(
        """\
        from shop.legacy.prices import price, discount  # p
        from shop.legacy.prices import price as p, price as compute_price
        from shop.legacy.prices import (  # split
            # base
            price,  # price
            vat as v,
            discount,
        )
        import shop.legacy.money as sm, shop.legacy.prices as sp
        import shop.legacy.money
        from shop.legacy import money as m
        @patch("shop.legacy.prices.price")
        def f(a=sm.price, *, b=sp.price(sp.vat)):
            '''Doc mentioning shop.legacy.prices.price.'''
            return (shop.legacy.money.price, m.price, m . discount, 'shop.legacy.money.price')
        """
    ),
    "import os\r\nfrom shop.legacy.prices import (\r\n    vat,  # v\r\n    price as p,\r\n)\r\n"
    "if os: import shop.legacy.prices as sp; sp.price(sp.discount)",
]


@pytest.mark.parametrize("index", range(len(PARITY_FILES)))
def test_both_engines_give_the_same_bytes_on_files_both_parse(index: int) -> None:
    text = PARITY_FILES[index]

    def planner(facts: Facts) -> list[Edit]:
        return plan_edits(text, facts, MOVES, IMPORTER, False, "a.py")

    bowler = rewrite_with_bowler(text, "a.py", MOVES.old_modules(), planner)
    assert bowler != text
    assert rewrite_with_libcst(text, planner) == bowler


def test_a_file_neither_engine_can_parse_is_an_error_not_a_skip() -> None:
    source = "from orchestration.mlflow_utils import setup_mlflow_for_stage\n\ndef broken(:\n"
    with pytest.raises(RewriteError) as caught:
        rewrite_source(source, "src/broken.py", MOVES, None, False)
    assert caught.value.path == "src/broken.py"
    assert caught.value.line == 3
    assert "parse" in caught.value.message


def test_an_empty_move_set_changes_nothing() -> None:
    source = "from orchestration.mlflow_utils import setup_mlflow_for_stage\n"
    assert rewrite_source(source, "a.py", Moves(), None, False).text == source
