"""The binding check: two versions of a file must refer to the same definitions."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

from shimkit.analysis import bound_uses, make_resolver, scan
from shimkit.domain.model import Definition

TREE = {
    "src/lib/__init__.py": "",
    "src/lib/core.py": "def a():\n    pass\n\ndef b():\n    pass\n",
    "src/lib/other.py": "def a():\n    pass\n",
    "src/compat/__init__.py": "",
    "src/compat/shim.py": "from lib.core import a, b\n",
    "src/compat/old.py": "from compat.shim import *\n",
    "src/app/__init__.py": "",
}
A = Definition("lib.core", "a")
B = Definition("lib.core", "b")


def uses(tmp_path: Path, text: str, importer: str = "app.main") -> Counter[Definition]:
    root = tmp_path / "repo"
    if not root.exists():
        for rel, content in TREE.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
    resolver = make_resolver(scan(root))
    return bound_uses(ast.parse(text), importer, False, resolver)


def test_names_and_module_attributes_resolve_through_shims(tmp_path: Path) -> None:
    old = (
        "import compat.shim as s\n"
        "from compat.old import b\n"
        "def f():\n"
        "    from . import shim\n"
        "    return s.a(), b(), shim.b, compat_unbound.a\n"
    )
    assert uses(tmp_path, old, importer="compat.user") == Counter({A: 1, B: 2})


def test_an_equivalent_rewrite_gives_the_same_counter(tmp_path: Path) -> None:
    old = (
        "from compat.shim import a, b\n"
        "import compat.shim\n"
        "def f():\n"
        "    from compat import shim as s\n"
        "    return a() + b() + compat.shim.a() + s.b()\n"
    )
    new = (
        "from lib.core import a, b\n"
        "import lib.core\n"
        "def f():\n"
        "    from lib import core as s\n"
        "    return a() + b() + lib.core.a() + s.b()\n"
    )
    assert uses(tmp_path, old) == uses(tmp_path, new) == Counter({A: 2, B: 2})


def test_a_wrong_rewrite_is_caught(tmp_path: Path) -> None:
    old = "from compat.shim import a\nx = a()\n"
    wrong = "from lib.other import a\nx = a()\n"
    dropped = "x = a()\n"
    assert uses(tmp_path, old) == Counter({A: 1})
    assert uses(tmp_path, wrong) == Counter({Definition("lib.other", "a"): 1})
    assert uses(tmp_path, dropped) == Counter()


def test_local_bindings_shadow_imports_and_scopes_are_respected(tmp_path: Path) -> None:
    text = (
        "from compat.shim import a\n"
        "def f(a):\n"
        "    return a\n"  # the parameter
        "def g():\n"
        "    a = 1\n"
        "    return a\n"  # the local
        "def h():\n"
        "    return [a for a in range(3)]\n"  # the comprehension variable
        "def k():\n"
        "    from compat.shim import b as a\n"
        "    return a\n"  # b, by the local import
        "class C:\n"
        "    x = a\n"  # the module-level import
        "t = getattr(__import__('os'), 'sep')\n"
    )
    assert uses(tmp_path, text) == Counter({B: 1, A: 1})


def test_external_names_and_try_fallbacks(tmp_path: Path) -> None:
    text = (
        "import os.path\n"
        "try:\n"
        "    from compat.shim import a\n"
        "except ImportError:\n"
        "    from lib.other import a\n"
        "os.path.join(a())\n"
    )
    assert uses(tmp_path, text) == Counter({A: 1, Definition("os", "path"): 1})


def test_a_name_rebound_after_its_import_is_the_new_binding_from_there_on(tmp_path: Path) -> None:
    text = (
        "import compat.shim as s\n"
        "s.a()\n"
        "s = object()\n"
        "s.b()\n"
        "def f():\n"
        "    return s.b()\n"
        "del s\n"
    )
    # ``del s`` reads the import no longer: ``s`` was rebound before it
    assert uses(tmp_path, text) == Counter({A: 1})


def test_a_binding_in_a_branch_leaves_the_import_reachable(tmp_path: Path) -> None:
    text = "import compat.shim as s\nif s:\n    s = None\ns.a()\n"
    assert uses(tmp_path, text) == Counter({A: 1})
