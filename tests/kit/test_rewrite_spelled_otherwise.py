"""A shim imported under a spelling Python reads as its name is retired like any other.

Python reads an identifier in its NFKC form: ``from shop.old import price`` with a full-width
``o`` imports ``shop.old``. The rewrite plans on the names Python reads and edits the file as
written, so a planted shim reached only under such spellings comes back out exactly, with the
shortcuts and without them; an identifier the rewrite does not touch keeps its spelling, and a
string is never respelled (``import_module`` of such a string names another file).
"""

from __future__ import annotations

import ast
import contextlib

import pytest
from kit_helpers import Repos, files_under, run_retire, write_tree
from shimkit.domain import shortcuts
from shimkit.domain.model import Moves
from shimkit.rewrite import rewrite_source
from shimkit.rewrite.facts import apply_edits

WIDE_O = "\uff4f"  # FULLWIDTH LATIN SMALL LETTER O, read as "o"
WIDE_I = "\uff49"  # read as "i"
FI = "\ufb01"  # LATIN SMALL LIGATURE FI, read as "fi": one character, two in its read form

PRISTINE = {
    "src/shop/__init__.py": "",
    "src/shop/core.py": "def price(value):\n    return value\n",
    "src/shop/use.py": (
        "import shop.core\n"
        "from shop.core import price  # the one price\n"
        f"{FI}le = 'sh{WIDE_O}p'\n\n\n"
        "def total():\n"
        f"    return price(1) + shop.core.price({FI}le)\n"
    ),
}
SHIM = {"src/shop/old.py": "from shop.core import price\n"}
# the importer as it reaches the shim: every path spelled with the full-width letter
PLANTED = {
    "src/shop/use.py": PRISTINE["src/shop/use.py"]
    .replace("shop.core", f"sh{WIDE_O}p.{WIDE_O}ld")
    .replace(f"sh{WIDE_O}p.{WIDE_O}ld import price", f"shop.{WIDE_O}ld import price")
}
MOVES = Moves(names={("shop.old", "price"): "shop.core"}, modules={"shop.old": "shop.core"})


def test_the_planted_importer_reads_as_the_shim() -> None:
    text = PLANTED["src/shop/use.py"]
    assert "shop.old" not in text and "shop.core" not in text
    imported = {
        node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
        for node in ast.walk(ast.parse(text))
        if isinstance(node, ast.Import | ast.ImportFrom)
    }
    assert imported == {"shop.old"}


@pytest.mark.parametrize("plain", [False, True], ids=["shortcuts", "no-shortcuts"])
def test_names_spelled_otherwise_are_rewritten_where_the_rewrite_edits(plain: bool) -> None:
    written = (
        f"from shop import {WIDE_O}ld  # {WIDE_O}ld\n"
        f"x = 'shop.{WIDE_O}ld'\n"
        f"{WIDE_O}ld.price({FI}le)\n"
        f"import shop.{WIDE_O}ld as {WIDE_O}\n"
        f"{WIDE_I}f = 1\n"  # a name: the variable ``if``
    )
    with shortcuts.switched_off() if plain else contextlib.nullcontext():
        outcome = rewrite_source(written, "src/shop/use.py", MOVES, "shop.use", False)
        again = rewrite_source(outcome.text, "src/shop/use.py", MOVES, "shop.use", False)
    assert outcome.text == (
        f"from shop import core as old  # {WIDE_O}ld\n"
        f"x = 'shop.{WIDE_O}ld'\n"
        f"{WIDE_O}ld.price({FI}le)\n"
        "import shop.core as o\n"
        f"{WIDE_I}f = 1\n"
    )
    assert apply_edits(written, outcome.edits) == outcome.text
    assert not again.changed


@pytest.mark.slow
@pytest.mark.parametrize("plain", [False, True], ids=["shortcuts", "no-shortcuts"])
def test_a_shim_imported_under_a_spelling_python_reads_as_its_name_comes_back_out(
    repos: Repos, monkeypatch: pytest.MonkeyPatch, plain: bool
) -> None:
    if plain:
        monkeypatch.setenv("SHIMKIT_NO_SHORTCUTS", "1")
    else:
        monkeypatch.delenv("SHIMKIT_NO_SHORTCUTS", raising=False)
    pristine = write_tree(repos.make(None, "pristine"), PRISTINE)
    root = repos.make(None, "planted")
    write_tree(root, {**PRISTINE, **SHIM, **PLANTED})
    repos.commit_all(root, "a shim reached under another spelling")
    run = run_retire(root, "shop.old", "--write")
    assert run.returncode == 0, run.stdout + run.stderr
    after = files_under(root)
    del after["CHANGELOG.md"]
    assert after == files_under(pristine)
