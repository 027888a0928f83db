"""The reference search's faster walks give what their plain forms give: the node walk (an
explicit stack, not nested generators), the docstrings with examples (statements only, not every
expression) and the lines that show a module (``str.find`` per name, not one alternation), each
held to the plain form on the standard library's own files and on trees made to trip them."""

from __future__ import annotations

import ast
import re
import sysconfig
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from shimkit.analysis.astwalk import Site, children, walk
from shimkit.analysis.references import _LETTER_ESCAPE, _hit_lines
from shimkit.domain.doctest_examples import docstrings_with_examples, example_docstring
from shimkit.domain.imports import RELATIVE_IMPORT

STDLIB = Path(sysconfig.get_paths()["stdlib"])
# big files with classes, decorators, doctests, try/except ImportError, match statements
REAL = ["doctest.py", "inspect.py", "typing.py", "argparse.py", "pydoc.py", "dataclasses.py"]

TRICKY = '''"""Module.

>>> import pkg.compat_basic
"""
import pkg
from . import core as c
from .core import basic


@decorator(
    "pkg.core.basic",
)
class TestThing:
    """>>> from pkg.core import basic"""

    def test_one(self):
        """Doc.

        >>> x = 1
        """
        try:
            from pkg.core.basic import Basic
        except ImportError:
            def inner():
                """>>> from pkg.core.basic import Basic"""
        match x:
            case 1:
                def in_case():
                    """>>> import pkg.core"""
        with pytest.warns(DeprecationWarning):
            import pkg.core.basic
        return lambda: f"{pkg.core.basic}" + "\\x62asic"


if TYPE_CHECKING:
    from pkg.core import basic as b
else:
    for i in range(3):
        while True:
            async def later():
                """>>> 'pkg.core.basic.Basic'"""
basic_score = "core\\r".strip()
'''


def plain_walk(
    node: ast.AST, site: Site | None = None, enter: Callable[[ast.AST], bool] | None = None
) -> Iterator[tuple[ast.AST, Site]]:
    """The walk as nested generators, its plain form."""
    site = site or Site()
    yield node, site
    if isinstance(node, ast.JoinedStr):
        return
    for child, child_site in children(node, site):
        if enter is None or enter(child):
            yield from plain_walk(child, child_site, enter)


def plain_docstrings(tree: ast.Module) -> list[ast.Constant]:
    """Docstrings with examples found by ``ast.walk`` over every node."""
    found = (example_docstring(node) for node in ast.walk(tree))
    return [docstring for docstring in found if docstring is not None]


def plain_hit_lines(text: str, leaves: list[str], unnamed: bool, words: bool = True) -> list[int]:
    """The lines where one alternation of every name (as a word: not inside an identifier,
    unless ``words`` is False) and pattern matches."""
    names = [rf"(?<!\w){re.escape(leaf)}(?!\w)" if words else re.escape(leaf) for leaf in leaves]
    shown = [*names, _LETTER_ESCAPE.pattern]
    pattern = "|".join([*shown, RELATIVE_IMPORT.pattern] if unnamed else shown)
    lines: list[int] = []
    for match in re.finditer(pattern, text):
        line = text.count("\n", 0, match.start()) + 1
        if not lines or lines[-1] != line:
            lines.append(line)
    return lines


def sources() -> list[tuple[str, str]]:
    return [("tricky", TRICKY), *((name, (STDLIB / name).read_text()) for name in REAL)]


@pytest.mark.parametrize(("name", "text"), sources(), ids=[n for n, _ in sources()])
def test_the_walk_meets_every_node_in_the_order_and_site_of_the_plain_walk(
    name: str, text: str
) -> None:
    tree = ast.parse(text)

    def odd_lines(node: ast.AST) -> bool:  # a prune, as the reference search prunes
        return getattr(node, "lineno", 1) % 2 == 1

    for enter in (None, odd_lines):
        fast = [(id(node), site) for node, site in walk(tree, enter=enter)]
        plain = [(id(node), site) for node, site in plain_walk(tree, enter=enter)]
        assert fast == plain
    assert len(fast) > 10


@pytest.mark.parametrize(("name", "text"), sources(), ids=[n for n, _ in sources()])
def test_docstrings_with_examples_are_those_of_every_node_in_the_same_order(
    name: str, text: str
) -> None:
    tree = ast.parse(text)
    found = [id(d) for d in docstrings_with_examples(tree)]
    assert found == [id(d) for d in plain_docstrings(tree)]
    if name in ("tricky", "doctest.py"):
        assert len(found) >= 4


LEAF_SETS = [["basic"], ["core", "basic", "compat_basic"], ["re", "s", "import"], ["x"]]


@pytest.mark.parametrize(("name", "text"), sources(), ids=[n for n, _ in sources()])
def test_lines_that_show_a_module_are_those_one_pattern_finds(name: str, text: str) -> None:
    for leaves in LEAF_SETS:
        for unnamed in (False, True):
            shims = frozenset(f"pkg.{leaf}" for leaf in leaves)
            assert _hit_lines(text, shims, unnamed) == plain_hit_lines(text, leaves, unnamed)


def test_a_name_that_is_no_identifier_gives_the_lines_of_one_pattern() -> None:
    text = "a = 1\nx-from .y import z\nfrom\n. import w\n'\\x41'\n"
    for leaves in (["x-from"], ["x-from", "y"], ["m-n"]):
        shims = frozenset(f"pkg.{leaf}" for leaf in leaves)
        for unnamed in (False, True):
            found = _hit_lines(text, shims, unnamed)
            assert found == plain_hit_lines(text, leaves, unnamed, words=False)


def test_a_module_name_inside_an_identifier_shows_no_module() -> None:
    text = (
        "score = 1\n"  # 1: inside a word
        "import pkg.core\n"  # 2
        "x = 'pkg.core.Basic'\n"  # 3
        "core_x = hardcore\n"  # 4: inside words
        "from .core import y\n"  # 5
        "z = '\\x63ore'\n"  # 6: an escape
        "print(core)\n"  # 7: a word
        "naïvecore = 2\n"  # 8: inside a word that is not ASCII
    )
    assert _hit_lines(text, frozenset({"pkg.core"})) == [2, 3, 5, 6, 7]


def test_a_lone_carriage_return_leaves_lines_uncounted() -> None:
    assert _hit_lines("import a\rimport basic\n", frozenset({"pkg.basic"})) is None
