"""check_rewrite: the result parses and binds the same things."""

from __future__ import annotations

import ast
from collections import Counter

from shimkit.rewrite import check_rewrite


def called_names(tree: ast.Module) -> Counter[str]:
    """A stand-in for the analysis layer's bound_uses: which imported names are loaded."""
    imported = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    return Counter(
        node.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in imported
    )


def test_a_faithful_rewrite_has_no_problems() -> None:
    old = "from a.old import f\nf()\n"
    new = "from a.new import f\nf()\n"
    assert check_rewrite(old, new, "a.mod", False, called_names) == []


def test_a_rewrite_that_changes_uses_or_does_not_parse_is_reported() -> None:
    old = "from a.old import f\nf()\n"
    problems = check_rewrite(old, "from a.new import g\nf()\n", "a.mod", False, called_names)
    assert problems == ["'f': 1 before the rewrite, 0 after"]
    broken = check_rewrite(old, "from a.new import (f\n", "a.mod", False, called_names)
    assert any("parse" in problem for problem in broken)
    relative = check_rewrite(old, "from ...x import f\nf()\n", "a.mod", False, called_names)
    assert relative == ["line 1: relative import that does not resolve from a.mod"]


def test_a_relative_import_that_did_not_resolve_before_the_rewrite_either_is_no_problem() -> None:
    """A test package outside the import root imports its helpers relatively (``from .helpers
    import make``): the rewrite leaves that import alone, so it binds the same after as before;
    only a relative import the rewrite made unresolvable is a problem."""
    old = "from .helpers import make\nfrom app.old import f\nf(make)\n"
    new = "from .helpers import make\nfrom app.new import f\nf(make)\n"
    assert check_rewrite(old, new, None, False, called_names) == []
    worse = "from .helpers import make\nfrom .new import f\nf(make)\n"
    assert check_rewrite(old, worse, None, False, called_names) == [
        "line 2: relative import that does not resolve from outside the import root"
    ]
