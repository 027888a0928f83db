"""A module that warns before the change (through the deprecated layer being retired) and whose
re-exported name was already unusable then (sympy.abc imports ``Symbol`` and deletes it) is not
a regression once the warning is gone: the names it lost are compared with the names it had
lost before, whatever else its import did then."""

from __future__ import annotations

import pytest
from kit_helpers import Repos, run_retire, write_tree

WARN = (
    "import warnings\n\nwarnings.warn('{module} is deprecated', DeprecationWarning, stacklevel=2)\n"
)
ALGEBRA = {
    "src/algebra/__init__.py": "",
    "src/algebra/core/__init__.py": """\
        from .basic import Basic
        from .symbol import Symbol, symbols
        """,
    "src/algebra/core/basic.py": "class Basic:\n    pass\n",
    "src/algebra/core/compat_basic.py": "from algebra.core.basic import Basic\n"
    + WARN.format(module="algebra.core.compat_basic"),
    "src/algebra/core/symbol.py": """\
        from algebra.core.compat_basic import Basic


        class Symbol(Basic):
            def __init__(self, name: str) -> None:
                self.name = name


        def symbols(names: str) -> list[Symbol]:
            return [Symbol(name.strip()) for name in names.split(",")]
        """,
    # imports Symbol only to delete it: a re-export that never was usable
    "src/algebra/abc.py": """\
        from .core import Symbol, symbols

        a, b = symbols("a, b")
        del Symbol
        """,
}


@pytest.mark.slow
def test_a_name_unusable_before_and_after_is_not_a_regression(repos: Repos) -> None:
    root = repos.make(None, "algebra")
    write_tree(root, ALGEBRA)
    repos.commit_all(root, "an algebra with a deprecated layer")
    run = run_retire(root, "--deprecated", "--write")
    assert run.returncode == 0, run
    assert "verification passed" in run.stdout, run
    assert not (root / "src/algebra/core/compat_basic.py").exists()
    symbol = (root / "src/algebra/core/symbol.py").read_text(encoding="utf-8")
    assert symbol.startswith("from algebra.core.basic import Basic\n")
