"""Large files: the engines and the check read only the statements that can take part, and the
result is what a rewrite of the whole file gives."""

from __future__ import annotations

import textwrap

import pytest
from rewrite_moves import DEPRECATED, MOVES, SETUP
from shimkit.domain.model import Engine
from shimkit.rewrite import RewriteError, check_rewrite, rewrite_source
from shimkit.rewrite.regions import statement_starts
from test_rewrite_check import called_names


def filler(count: int, start: int = 0) -> str:
    """``count`` unrelated top-level functions."""
    return "".join(
        f"def unrelated_{i}(value):\n    return value * {i}\n\n\n" for i in range(start, count)
    )


def starts_as_lines(text: str) -> list[int]:
    return [text.count("\n", 0, offset) + 1 for offset in statement_starts(text)]


def test_statements_start_at_top_level_lines_only() -> None:
    text = textwrap.dedent(
        '''\
        """Doc."""
        import os
        @decorator
        @other
        def f():
            return """
        import not_a_statement
        """
        try:
            import a
        except ImportError:
            a = None
        else:
            pass
        x = (1,
        2); y = 3
        if x:
            pass
        elif y:
            pass
        '''
    )
    assert starts_as_lines(text) == [1, 2, 3, 9, 15, 17]


def test_crlf_offsets_and_lone_carriage_returns() -> None:
    text = "import os\r\n\r\nx = 1\r\n"
    assert statement_starts(text) == (0, text.index("x"))
    assert statement_starts("import os\rx = 1\n") == (0,)  # counted differently: not cut
    assert statement_starts("x = (\n") == (0,)  # does not tokenize: not cut


def test_a_large_file_changes_only_the_lines_that_reach_a_move() -> None:
    head = f"from {DEPRECATED} import setup_mlflow_for_stage\n\n\n"
    body = filler(400)
    # far below, syntax fissix cannot parse, in a statement the rewrite has nothing to do with
    modern = "def dispatch(value):\n    match value:\n        case 0:\n            return 0\n\n\n"
    tail = f'def late():\n    return setup_mlflow_for_stage("{DEPRECATED}")\n'
    source = head + body + modern + tail
    outcome = rewrite_source(source, "src/big.py", MOVES, "big", False)
    expected = (
        f"from {SETUP} import setup_mlflow_for_stage\n\n\n"
        + body
        + modern
        + f'def late():\n    return setup_mlflow_for_stage("{SETUP}")\n'
    )
    assert outcome.text == expected
    assert outcome.engine is Engine.BOWLER  # the match statement was never given to fissix


def test_a_module_alias_used_far_below_is_rewritten_there() -> None:
    source = (
        f"import {DEPRECATED} as dep\n\n\n"
        + filler(300)
        + "def late():\n    return dep.setup_mlflow_for_stage('x')\n"
    )
    outcome = rewrite_source(source, "src/big.py", MOVES, "big", False)
    assert outcome.text.startswith(f"import {SETUP} as dep\n")
    assert outcome.text.endswith("    return dep.setup_mlflow_for_stage('x')\n")


def test_a_clash_far_below_the_import_is_still_refused() -> None:
    shim = "orchestration.jobs.tracking.utils.mlflow_utils"
    source = (
        f"import {shim} as u\n\n\n"
        + "def early():\n    return u.retry_with_backoff(u.get_mlflow_run_url)\n\n\n"
        + filler(300)
        + "def retry_with_backoff():\n    return None\n"
    )
    with pytest.raises(RewriteError, match="already bound or used"):
        rewrite_source(source, "src/big.py", MOVES, "big", False)


def test_the_check_reads_far_statements_that_use_a_rebound_name() -> None:
    source = (
        f"from {DEPRECATED} import setup_mlflow_for_stage\n\n\n"
        + filler(300)
        + "def late():\n    return setup_mlflow_for_stage('x')\n"
    )
    outcome = rewrite_source(source, "src/big.py", MOVES, "big", False)
    assert check_rewrite(source, outcome.text, "big", False, called_names, outcome) == []
    # the same length, but the import binds another name: the far use no longer reaches it
    broken = outcome.text.replace(
        "import setup_mlflow_for_stage", "import setup_mlflow_for_stagX", 1
    )
    problems = check_rewrite(source, broken, "big", False, called_names, outcome)
    assert problems == ["'setup_mlflow_for_stage': 1 before the rewrite, 0 after"]


def test_the_check_names_the_line_of_the_whole_file() -> None:
    source = f"from {DEPRECATED} import setup_mlflow_for_stage\n\n\n" + filler(50)
    outcome = rewrite_source(source, "src/big.py", MOVES, "big", False)
    broken = outcome.text.replace(f"from {SETUP} import", f"from {SETUP} imXort", 1)
    problems = check_rewrite(source, broken, "big", False, called_names, outcome)
    assert any("line 1" in problem and "parse" in problem for problem in problems), problems
