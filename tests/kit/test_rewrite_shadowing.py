"""A parameter or local named like an imported module is another binding, not a use of it.

Each file imports the module ``shop.legacy.tools`` as ``tools`` and also uses ``tools`` for
something else (a parameter, a local, a loop variable...). Only the uses of the import are
rewritten; the file then imports and runs against the new modules, with the shim deleted.
Both engines give the same bytes.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import pytest
from shimkit.analysis import make_resolver, resolve_uses, scan
from shimkit.domain.model import Definition, Engine, Moves
from shimkit.rewrite import RewriteError, rewrite_source
from shimkit.rewrite.batch import FileTask, rewrite_file
from shimkit.rewrite.bowler_engine import rewrite_with_bowler
from shimkit.rewrite.check import compare_uses
from shimkit.rewrite.facts import Edit, Facts
from shimkit.rewrite.libcst_engine import rewrite_with_libcst
from shimkit.rewrite.planner import plan_edits

OLD = "shop.legacy.tools"
# moved whole, ``price`` renamed: a use of the import becomes ``tools.compute_price``
RENAMED = Moves(
    names={(OLD, "price"): "shop.core.pricing"},
    modules={OLD: "shop.core.pricing"},
    renames={(OLD, "price"): "compute_price"},
)
# its names go to two modules: each ``tools.x`` becomes ``x``, a bare ``tools`` is refused
SPLIT = Moves(names={(OLD, "price"): "shop.core.pricing", (OLD, "tax"): "shop.core.tax"})

PACKAGE = {
    "shop/__init__.py": "",
    "shop/core/__init__.py": "",
    "shop/core/pricing.py": "def compute_price(x):\n    return x * 2\n\nprice = compute_price\n",
    "shop/core/tax.py": "def tax(x):\n    return x + 1\n",
    "shop/legacy/__init__.py": "",
    "shop/widget.py": textwrap.dedent(
        """\
        class Widget:
            def price(self, x=0):
                return f"widget {x}"

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                return False
        """
    ),
}

# the form, the code using ``tools`` for something else, and the call that prints its result
SHADOWING = {
    "parameter": ("def show(tools):\n    return tools.price()\n", "show(Widget())"),
    "lambda parameter": ("show = lambda tools: tools.price()\n", "show(Widget())"),
    "*args": ("def show(*tools):\n    return tools[0].price()\n", "show(Widget())"),
    "**kwargs": ("def show(**tools):\n    return tools['w'].price()\n", "show(w=Widget())"),
    "keyword-only": ("def show(*, tools):\n    return tools.price()\n", "show(tools=Widget())"),
    "local": ("def show():\n    tools = Widget()\n    return tools.price()\n", "show()"),
    "for target": (
        "def show():\n    for tools in [Widget()]:\n        return tools.price()\n",
        "show()",
    ),
    "with target": (
        "def show():\n    with Widget() as tools:\n        return tools.price()\n",
        "show()",
    ),
    "except target": (
        "def show():\n    try:\n        raise KeyError(Widget())\n"
        "    except KeyError as tools:\n        return tools.args[0].price()\n",
        "show()",
    ),
    "comprehension": (
        "def show():\n    return [tools.price() for tools in [Widget()]][0]\n",
        "show()",
    ),
    "nonlocal": (
        "def show():\n    tools = Widget()\n    def inner():\n        nonlocal tools\n"
        "        return tools.price()\n    return inner()\n",
        "show()",
    ),
    "local function": (
        "def show():\n    def tools():\n        return Widget()\n    return tools().price()\n",
        "show()",
    ),
}


def _module(form: str) -> str:
    code, call = SHADOWING[form]
    return (
        "from shop.legacy import tools\nfrom shop.widget import Widget\n\n"
        "print(tools.price(1))\n" + code + f"print({call})\n"
    )


def _both_engines(text: str, moves: Moves) -> str:
    """The rewrite of ``text``, after checking that the LibCST engine gives the same bytes."""
    outcome = rewrite_source(text, "app.py", moves, "app", False)

    def planner(facts: Facts) -> list[Edit]:
        return plan_edits(text, facts, moves, "app", False, "app.py")

    assert rewrite_with_bowler(text, "app.py", moves.old_modules(), planner) == outcome.text
    assert rewrite_with_libcst(text, planner) == outcome.text
    return outcome.text


def _run(tmp_path: Path, text: str) -> list[str]:
    """Run ``text`` as a script next to the new modules (the shim does not exist)."""
    for name, content in PACKAGE.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(content)
    (tmp_path / "app.py").write_text(text)
    done = subprocess.run(
        [sys.executable, "app.py"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


@pytest.mark.parametrize("form", sorted(SHADOWING))
def test_a_shadowing_binding_keeps_its_attribute_names(form: str, tmp_path: Path) -> None:
    text = _module(form)
    new = _both_engines(text, RENAMED)
    code = SHADOWING[form][0]
    assert new == text.replace(
        "from shop.legacy import tools", "from shop.core import pricing as tools"
    ).replace("print(tools.price(1))", "print(tools.compute_price(1))")
    assert code in new
    assert _run(tmp_path, new) == ["2", "widget 0"]


@pytest.mark.parametrize("form", sorted(SHADOWING))
def test_a_shadowing_binding_is_not_a_module_object_use(form: str, tmp_path: Path) -> None:
    text = _module(form).replace("print(tools.price(1))", "print(tools.price(1), tools.tax(1))")
    new = _both_engines(text, SPLIT)
    assert new.startswith(
        "from shop.core.pricing import price\nfrom shop.core.tax import tax\n"
        "from shop.widget import Widget\n\nprint(price(1), tax(1))\n"
    )
    assert SHADOWING[form][0] in new
    assert _run(tmp_path, new) == ["2 2", "widget 0"]


def test_a_real_module_object_use_next_to_a_shadowed_one_is_still_refused() -> None:
    text = _module("parameter") + "register = [tools]\n"
    with pytest.raises(RewriteError, match=r"`tools` .* is used as a module object"):
        rewrite_source(text, "app.py", SPLIT, "app", False)


def test_a_class_body_binding_is_not_seen_by_its_methods(tmp_path: Path) -> None:
    text = textwrap.dedent(
        """\
        from shop.legacy import tools
        from shop.widget import Widget


        class Shop:
            tools = Widget()
            label = tools.price()

            def total(self):
                return tools.price(3)


        print(Shop.label, Shop().total())
        """
    )
    new = _both_engines(text, RENAMED)
    assert "label = tools.price()" in new
    assert "return tools.compute_price(3)" in new
    assert _run(tmp_path, new) == ["widget 0 6"]


def test_global_refers_to_the_import(tmp_path: Path) -> None:
    text = textwrap.dedent(
        """\
        from shop.legacy import tools


        def show():
            global tools
            return tools.price(4)


        print(show())
        """
    )
    new = _both_engines(text, RENAMED)
    assert "return tools.compute_price(4)" in new
    assert _run(tmp_path, new) == ["8"]


def test_a_name_rebound_at_module_level_is_the_new_binding_after_it(tmp_path: Path) -> None:
    text = textwrap.dedent(
        """\
        from shop.legacy import tools
        from shop.widget import Widget

        print(tools.price(1))
        del tools
        tools = Widget()
        print(tools.price())


        def later():
            return tools.price(5)


        print(later())
        """
    )
    new = _both_engines(text, RENAMED)
    assert new == text.replace(
        "from shop.legacy import tools", "from shop.core import pricing as tools"
    ).replace("print(tools.price(1))", "print(tools.compute_price(1))")
    assert _run(tmp_path, new) == ["2", "widget 0", "widget 5"]


def test_a_binding_in_a_branch_leaves_the_import_reachable_after_it() -> None:
    text = textwrap.dedent(
        """\
        from shop.legacy import tools

        if __debug__:
            tools = None
        print(tools.price(1))
        """
    )
    new = _both_engines(text, RENAMED)
    assert "print(tools.compute_price(1))" in new


def test_a_match_capture_is_another_binding_in_a_file_only_libcst_parses(tmp_path: Path) -> None:
    text = textwrap.dedent(
        """\
        from shop.legacy import tools
        from shop.widget import Widget


        def show(value):
            match value:
                case [*tools]:
                    return tools[0].price()
                case Widget() as tools:
                    return tools.price(1)
                case tools:
                    return tools.price(2)


        print(show(Widget()), show([Widget()]), show(None) if False else tools.price(3))
        """
    )
    outcome = rewrite_source(text, "app.py", RENAMED, "app", False)
    assert outcome.engine is Engine.LIBCST
    assert outcome.text == text.replace(
        "from shop.legacy import tools", "from shop.core import pricing as tools"
    ).replace("tools.price(3)", "tools.compute_price(3)")
    assert _run(tmp_path, outcome.text) == ["widget 1 widget 0 6"]


@pytest.mark.parametrize("form", ["rebound", *sorted(SHADOWING)])
def test_the_post_rewrite_check_agrees_with_the_rewrite(form: str, tmp_path: Path) -> None:
    """The check counts what each name refers to before and after, with the same scopes as the
    rewrite: a shadowed ``tools.price`` left alone is no difference."""
    text = (
        _module(form)
        if form in SHADOWING
        else "from shop.legacy import tools\nfrom shop.widget import Widget\n\n"
        "print(tools.price(1))\ntools = Widget()\nprint(tools.price())\n"
    )
    tree = {
        **PACKAGE,
        "shop/legacy/tools.py": "from shop.core.pricing import compute_price as price\n",
    }
    for name, content in tree.items():
        (tmp_path / "src" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "src" / name).write_text(content)
    resolver = make_resolver(scan(tmp_path))
    done = rewrite_file(FileTask("src/app.py", text, "app", False), RENAMED)
    assert done.changed and not done.problems
    assert done.uses_before is not None and done.uses_after is not None
    before = resolve_uses(done.uses_before, resolver)
    assert before == Counter({Definition("shop.core.pricing", "compute_price"): 1})
    assert compare_uses(before, resolve_uses(done.uses_after, resolver)) == []
