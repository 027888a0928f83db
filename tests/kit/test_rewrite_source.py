"""rewrite_source: every import form and string form of docs/design.md "Rewrite conventions"."""

from __future__ import annotations

import textwrap

import pytest
from rewrite_moves import MOVES
from shimkit.domain.model import Engine
from shimkit.rewrite import RewriteError, rewrite_source


def rewrite(
    text: str, importer: str | None = "orchestration.jobs.runner", is_package: bool = False
) -> str:
    source = textwrap.dedent(text)
    outcome = rewrite_source(source, "src/x.py", MOVES, importer, is_package)
    again = rewrite_source(outcome.text, "src/x.py", MOVES, importer, is_package)
    assert again.text == outcome.text and again.engine is None, "rewriting twice must be a no-op"
    return outcome.text


def check(before: str, after: str, **kwargs: object) -> None:
    assert rewrite(before, **kwargs) == textwrap.dedent(after)  # type: ignore[arg-type]


def test_plain_from_import_changes_only_the_module_path() -> None:
    check(
        """\
        from orchestration.mlflow_utils import setup_mlflow_for_stage  # stage setup
        from orchestration.jobs.tracking.utils.mlflow_utils import retry_with_backoff
        """,
        """\
        from infrastructure.tracking.mlflow.setup import setup_mlflow_for_stage  # stage setup
        from infrastructure.tracking.mlflow.utils import retry_with_backoff
        """,
    )


def test_from_import_into_two_modules_splits_keeping_the_multiline_layout() -> None:
    check(
        """\
        from orchestration.jobs.tracking.mlflow_utils import (  # noqa: F401
            retry_with_backoff,  # retries
            # the url helper
            get_mlflow_run_url,   # urls
        )
        from orchestration.jobs.tracking.mlflow_utils import retry_with_backoff, get_mlflow_run_url
        """,
        """\
        from infrastructure.tracking.mlflow.urls import (  # noqa: F401
            # the url helper
            get_mlflow_run_url,   # urls
        )
        from infrastructure.tracking.mlflow.utils import (  # noqa: F401
            retry_with_backoff,  # retries
        )
        from infrastructure.tracking.mlflow.urls import get_mlflow_run_url
        from infrastructure.tracking.mlflow.utils import retry_with_backoff
        """,
    )


def test_aliases_are_kept() -> None:
    check(
        """\
        from orchestration.jobs.tracking.utils.mlflow_utils import retry_with_backoff as retry
        from orchestration.jobs.tracking.utils.mlflow_utils import (
            get_mlflow_run_url as url,
            retry_with_backoff as rwb,
        )
        """,
        """\
        from infrastructure.tracking.mlflow.utils import retry_with_backoff as retry
        from infrastructure.tracking.mlflow.urls import (
            get_mlflow_run_url as url,
        )
        from infrastructure.tracking.mlflow.utils import (
            retry_with_backoff as rwb,
        )
        """,
    )


def test_module_alias_with_a_single_target_keeps_the_alias_and_its_uses() -> None:
    check(
        """\
        import orchestration.jobs.tracking.utils.mlflow_utils as mu

        mu.retry_with_backoff(lambda: 1)
        """,
        """\
        import infrastructure.tracking.mlflow.utils as mu

        mu.retry_with_backoff(lambda: 1)
        """,
    )


def test_module_alias_with_several_targets_becomes_from_imports_and_bare_names() -> None:
    check(
        """\
        import orchestration.jobs.tracking.utils.mlflow_utils as mu


        def run(client):
            url = mu.get_mlflow_run_url(client, "run")
            return mu.retry_with_backoff(lambda: url)
        """,
        """\
        from infrastructure.tracking.mlflow.urls import get_mlflow_run_url
        from infrastructure.tracking.mlflow.utils import retry_with_backoff


        def run(client):
            url = get_mlflow_run_url(client, "run")
            return retry_with_backoff(lambda: url)
        """,
    )


def test_module_alias_expansion_refuses_a_name_already_bound() -> None:
    source = """\
        import orchestration.jobs.tracking.utils.mlflow_utils as mu

        def get_mlflow_run_url():
            return mu.get_mlflow_run_url(None, "r"), mu.retry_with_backoff
        """
    with pytest.raises(RewriteError, match="get_mlflow_run_url") as caught:
        rewrite(source)
    assert caught.value.line == 1 and caught.value.path == "src/x.py"


def test_submodule_from_import_with_attribute_uses() -> None:
    check(
        """\
        from orchestration.jobs.tracking import mlflow_helpers
        from orchestration.jobs.tracking.utils import mlflow_utils as mu

        run = mlflow_helpers.create_child_run(mu.retry_with_backoff)
        """,
        """\
        from infrastructure.tracking.mlflow import runs as mlflow_helpers
        from infrastructure.tracking.mlflow import utils as mu

        run = mlflow_helpers.create_child_run(mu.retry_with_backoff)
        """,
    )


def test_dotted_module_import_and_dotted_uses() -> None:
    check(
        """\
        import orchestration.mlflow_utils

        orchestration.mlflow_utils.setup_mlflow_for_stage("train")
        """,
        """\
        import infrastructure.tracking.mlflow.setup

        infrastructure.tracking.mlflow.setup.setup_mlflow_for_stage("train")
        """,
    )


def test_dotted_module_import_with_several_targets_is_an_error() -> None:
    source = """\
        import orchestration.jobs.tracking.utils.mlflow_utils

        orchestration.jobs.tracking.utils.mlflow_utils.retry_with_backoff(f)
        orchestration.jobs.tracking.utils.mlflow_utils.get_mlflow_run_url(c, r)
        """
    with pytest.raises(RewriteError, match="several modules"):
        rewrite(source)


def test_relative_imports_in_a_package_init_collapse_the_try_except() -> None:
    check(
        """\
        \"\"\"Convenience exports.\"\"\"

        try:
            from .mlflow_utils import get_mlflow_run_url, retry_with_backoff
            from ..mlflow_helpers import create_child_run
        except ImportError:  # older layout
            # absolute fallback
            from orchestration.jobs.tracking.utils.mlflow_utils import (
                get_mlflow_run_url,
                retry_with_backoff,
            )
            from orchestration.jobs.tracking.mlflow_helpers import create_child_run

        __all__ = ["create_child_run", "get_mlflow_run_url", "retry_with_backoff"]
        """,
        """\
        \"\"\"Convenience exports.\"\"\"

        from infrastructure.tracking.mlflow.urls import get_mlflow_run_url
        from infrastructure.tracking.mlflow.utils import retry_with_backoff
        from infrastructure.tracking.mlflow.runs import create_child_run

        __all__ = ["create_child_run", "get_mlflow_run_url", "retry_with_backoff"]
        """,
        importer="orchestration.jobs.tracking.utils",
        is_package=True,
    )


def test_try_except_with_a_none_fallback_is_rewritten_in_place() -> None:
    check(
        """\
        try:
            from orchestration.mlflow_utils import setup_mlflow_for_stage
        except ImportError:
            setup_mlflow_for_stage = None
        """,
        """\
        try:
            from infrastructure.tracking.mlflow.setup import setup_mlflow_for_stage
        except ImportError:
            setup_mlflow_for_stage = None
        """,
    )


def test_relative_imports_outside_the_import_root_are_left_alone() -> None:
    source = "from .mlflow_utils import retry_with_backoff\n"
    assert rewrite(source, importer=None) == source


def test_a_relative_importer_stays_relative_where_its_target_is_in_its_own_package() -> None:
    check(
        "from ..hpo.compat import search_space\n",
        "from ..hpo.core.search_space import search_space\n",
        importer="training.cli.main",
    )
    check(
        "from .compat import search_space\n",
        "from .core.search_space import search_space\n",
        importer="training.hpo",
        is_package=True,
    )


def test_a_relative_importer_whose_target_is_in_another_top_level_package_becomes_absolute() -> (
    None
):
    check(
        "from ..mlflow_utils import setup_mlflow_for_stage\n",
        "from infrastructure.tracking.mlflow.setup import setup_mlflow_for_stage\n",
        importer="orchestration.jobs.runner",
    )


def test_function_local_and_type_checking_imports_keep_their_indentation() -> None:
    check(
        """\
        from typing import TYPE_CHECKING

        if TYPE_CHECKING:
            from orchestration.jobs.tracking.mlflow_helpers import create_child_run


        class Tracker:
            def log(self):
                from orchestration.jobs.tracking.mlflow_utils import (
                    get_mlflow_run_url,
                    retry_with_backoff,  # keep
                )

                return retry_with_backoff(get_mlflow_run_url)
        """,
        """\
        from typing import TYPE_CHECKING

        if TYPE_CHECKING:
            from infrastructure.tracking.mlflow.runs import create_child_run


        class Tracker:
            def log(self):
                from infrastructure.tracking.mlflow.urls import (
                    get_mlflow_run_url,
                )
                from infrastructure.tracking.mlflow.utils import (
                    retry_with_backoff,  # keep
                )

                return retry_with_backoff(get_mlflow_run_url)
        """,
    )


def test_strings_naming_moved_modules_and_names() -> None:
    check(
        """\
        import importlib
        import sys
        from unittest import mock

        @mock.patch("orchestration.jobs.tracking.utils.mlflow_utils.retry_with_backoff")
        def test(patched):
            importlib.import_module('orchestration.mlflow_utils')
            sys.modules[r"orchestration.jobs.tracking.mlflow_helpers"] = None
            mock.patch.object(sys.modules["orchestration.mlflow_utils"], "setup")
        """,
        """\
        import importlib
        import sys
        from unittest import mock

        @mock.patch("infrastructure.tracking.mlflow.utils.retry_with_backoff")
        def test(patched):
            importlib.import_module('infrastructure.tracking.mlflow.setup')
            sys.modules[r"infrastructure.tracking.mlflow.runs"] = None
            mock.patch.object(sys.modules["infrastructure.tracking.mlflow.setup"], "setup")
        """,
    )


def test_other_strings_are_untouched() -> None:
    source = """\
        HPO = "hpo"
        PKG = "training.hpo"
        WORD = 'mlflow_utils'
        MSG = "orchestration.mlflow_utils is deprecated"
        PART = "orchestration.mlflow_utils" "x"
        F = f"orchestration.mlflow_utils"
        B = b"orchestration.mlflow_utils"
        E = "orchestration\\x2emlflow_utils"
        NOT = "orchestration.mlflow_utils.sub.name"
        """
    assert rewrite(source) == textwrap.dedent(source)


def test_unrelated_and_unchanged_files_are_returned_as_they_are() -> None:
    source = "import os\nfrom infrastructure.tracking.mlflow.utils import retry_with_backoff\n"
    outcome = rewrite_source(source, "a.py", MOVES, None, False)
    assert outcome.text == source and outcome.engine is None


def test_crlf_tabs_trailing_whitespace_and_missing_final_newline_are_kept() -> None:
    source = (
        "import os  \r\n"
        "\r\n"
        "def f():\r\n"
        "\tfrom orchestration.jobs.tracking.mlflow_utils import (\r\n"
        "\t\tretry_with_backoff,  # r\r\n"
        "\t\tget_mlflow_run_url,\r\n"
        "\t)\r\n"
        "\treturn 'orchestration.mlflow_utils'\t\r\n"
        "x = 1"
    )
    expected = (
        "import os  \r\n"
        "\r\n"
        "def f():\r\n"
        "\tfrom infrastructure.tracking.mlflow.urls import (\r\n"
        "\t\tget_mlflow_run_url,\r\n"
        "\t)\r\n"
        "\tfrom infrastructure.tracking.mlflow.utils import (\r\n"
        "\t\tretry_with_backoff,  # r\r\n"
        "\t)\r\n"
        "\treturn 'infrastructure.tracking.mlflow.setup'\t\r\n"
        "x = 1"
    )
    outcome = rewrite_source(source, "a.py", MOVES, None, False)
    assert outcome.engine is Engine.BOWLER
    assert outcome.text == expected


def test_unmoved_names_stay_in_their_module_in_a_split() -> None:
    check(
        """\
        from orchestration.jobs.tracking.utils.mlflow_utils import retry_with_backoff, helper
        """,
        """\
        from infrastructure.tracking.mlflow.utils import retry_with_backoff
        from orchestration.jobs.tracking.utils.mlflow_utils import helper
        """,
    )


def test_star_import_of_a_module_moved_whole() -> None:
    check(
        "from orchestration.mlflow_utils import *\n",
        "from infrastructure.tracking.mlflow.setup import *\n",
    )


def test_a_module_object_use_needs_a_single_target() -> None:
    source = """\
        from orchestration.jobs.tracking.utils import mlflow_utils

        register(mlflow_utils)
        """
    with pytest.raises(RewriteError, match="module object"):
        rewrite(source)


def test_statements_sharing_a_line_split_with_semicolons() -> None:
    check(
        """\
        import os, orchestration.jobs.tracking.utils.mlflow_utils as mu; mu.get_mlflow_run_url(1)
        if os: from orchestration.jobs.tracking.mlflow_utils import retry_with_backoff, get_mlflow_run_url
        mu.retry_with_backoff(os)
        """,  # noqa: E501
        """\
        import os; from infrastructure.tracking.mlflow.urls import get_mlflow_run_url; from infrastructure.tracking.mlflow.utils import retry_with_backoff; get_mlflow_run_url(1)
        if os: from infrastructure.tracking.mlflow.urls import get_mlflow_run_url; from infrastructure.tracking.mlflow.utils import retry_with_backoff
        retry_with_backoff(os)
        """,  # noqa: E501
    )


def test_a_module_alias_used_inside_an_f_string_decides_the_target_or_is_an_error() -> None:
    check(
        """\
        import orchestration.jobs.tracking.utils.mlflow_utils as mu
        print(f"{mu.retry_with_backoff!r}")
        """,
        """\
        import infrastructure.tracking.mlflow.utils as mu
        print(f"{mu.retry_with_backoff!r}")
        """,
    )
    with pytest.raises(RewriteError, match="f-string"):
        rewrite(
            """\
            import orchestration.jobs.tracking.utils.mlflow_utils as mu
            print(f"{mu.retry_with_backoff}", mu.get_mlflow_run_url)
            """
        )
