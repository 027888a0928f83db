"""The change-undone proof's comparison of a changed module's two trees (``undone._repointed``)
walks only the statements whose lines differ (``undone_diff.side_by_side``), and gives exactly
what the plain walk of both trees gives (``SHIMKIT_NO_SHORTCUTS=1``).

Held on a corpus: every module of a few packages of the running interpreter's own ``Lib/``,
each made into pairs of trees before and after as a rewrite makes them (``from`` imports
repointed away from a layer) and as it does not (a name changed besides, a line added, a comment
edited, the layer not giving a name, the same import already there, an f-string changed).
"""

from __future__ import annotations

import ast
import random
import sysconfig
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from shimkit.analysis import undone
from shimkit.analysis.codebase import Codebase, SourceFile
from shimkit.analysis.undone import ShimBody
from shimkit.analysis.undone_diff import side_by_side
from shimkit.domain import shortcuts
from shimkit.domain.model import Area

PACKAGES = ("json", "email", "importlib", "logging", "concurrent")
MODULE = "corpus.module"
LAYER = "_layer"


def corpus() -> Iterator[tuple[str, str]]:
    lib = Path(sysconfig.get_paths()["stdlib"])
    for package in PACKAGES:
        for path in sorted((lib / package).rglob("*.py")):
            yield path.relative_to(lib).as_posix(), path.read_text(encoding="utf-8")


def codebase(text: str) -> Codebase:
    source = SourceFile("src/corpus/module.py", text, ast.parse(text), MODULE, False, Area.SRC)
    return Codebase(Path("."), "src", (source,))


def absolute_imports(text: str) -> list[ast.ImportFrom]:
    return [
        node
        for node in ast.walk(ast.parse(text))
        if isinstance(node, ast.ImportFrom)
        and node.module
        and not node.level
        and node.module != "__future__"
        and all(alias.name != "*" for alias in node.names)
        and node.lineno == node.end_lineno
    ]


def layered(text: str, statements: list[ast.ImportFrom]) -> tuple[str, dict[str, ShimBody]]:
    """``text`` with ``statements`` importing from layers in front of their modules (the tree
    before a rewrite), and those layers' bodies."""
    lines = text.split("\n")
    shims: dict[str, ShimBody] = {}
    for node in statements:
        assert node.module is not None
        shim = node.module + LAYER
        line = lines[node.lineno - 1]
        lines[node.lineno - 1] = line.replace(f"from {node.module} ", f"from {shim} ", 1)
        takes = {alias.name: (node.module, alias.name) for alias in node.names}
        shims[shim] = ShimBody(shim, (node.module,), takes, False)
    return "\n".join(lines), shims


def variants(text: str, rng: random.Random) -> Iterator[tuple[str, str, str, dict[str, ShimBody]]]:
    """(kind, before, after, shims) pairs made from one module."""
    statements = absolute_imports(text)
    if not statements:
        return
    chosen = rng.sample(statements, min(len(statements), 3))
    before, shims = layered(text, chosen)
    yield "repointed", before, text, shims
    lines = text.split("\n")
    others = [i for i, line in enumerate(lines) if "self" in line or "return" in line]
    if others:
        at = rng.choice(others)
        changed = [*lines[:at], lines[at].replace("self", "this", 1).replace("return", "yield", 1)]
        yield "changed besides", before, "\n".join([*changed, *lines[at + 1 :]]), shims
    yield "line added", before, text + "\n# one more line\n", shims
    commented = [*lines]
    node = chosen[0]
    commented[node.lineno - 1] += "  # repointed"
    yield "comment edited", before, "\n".join(commented), shims
    taken = {name: ShimBody(s.module, s.imports, {}, False) for name, s in shims.items()}
    yield "layer gives nothing", before, text, taken
    again = ast.get_source_segment(text, node)
    assert again is not None
    yield "imported before too", before + "\n" + again + "\n", text + "\n" + again + "\n", shims
    fstrings = [i for i, line in enumerate(lines) if 'f"' in line or "f'" in line]
    if fstrings:
        at = rng.choice(fstrings)
        changed = [*lines[:at], lines[at].replace("{", "{ ", 1), *lines[at + 1 :]]
        yield "f-string spaced", before, "\n".join(changed), shims


def test_the_side_by_side_walk_gives_what_the_plain_walk_gives() -> None:
    rng = random.Random(16)
    outcomes: Counter[tuple[str, str]] = Counter()
    for name, text in corpus():
        try:
            ast.parse(text)
        except SyntaxError:
            continue
        for kind, before, after, shims in variants(text, rng):
            try:
                old, new = codebase(before), codebase(after)
            except SyntaxError:
                continue
            quick = undone._repointed(old, new, MODULE, shims)
            with shortcuts.switched_off():
                plain = undone._repointed(old, new, MODULE, shims)
            assert quick == plain, (name, kind)
            old_tree, new_tree = ast.parse(before), ast.parse(after)
            paired = side_by_side(before, after, old_tree, new_tree) is not None
            outcomes[kind, f"{'paired' if paired else 'walked'}, {bool(plain)}"] += 1
    # each kind of pair met the answer it calls for, on the path meant for it
    assert outcomes["repointed", "paired, True"] > 30
    assert outcomes["comment edited", "paired, True"] > 30
    assert outcomes["f-string spaced", "paired, True"] > 5
    assert outcomes["changed besides", "walked, False"] > 30
    assert outcomes["line added", "walked, True"] > 30
    assert outcomes["layer gives nothing", "paired, False"] > 30
    assert outcomes["imported before too", "paired, False"] > 30


def test_statements_nested_deeper_come_in_the_plain_walks_order() -> None:
    """The plain walk meets statements level by level: a function's import after a later
    module-level one."""
    text = (
        "def f():\n    from a import x\n\n\nfrom b import y\n\n\nclass C:\n"
        "    def g(self):\n        from c import z\n"
    )
    statements = absolute_imports(text)
    before, shims = layered(text, statements)
    quick = undone._repointed(codebase(before), codebase(text), MODULE, shims)
    with shortcuts.switched_off():
        plain = undone._repointed(codebase(before), codebase(text), MODULE, shims)
    assert quick == plain
    assert plain is not None
    assert [r.module for r in plain] == ["b", "a", "c"]


def test_a_changed_decorator_is_a_change_of_the_definition_below_it() -> None:
    """A definition's decorators stand on lines above its ``def``: a change there is a change
    of the definition, whose own lines read the same."""
    text = "from a import x\n\n\n@register(1)\ndef f():\n    return x\n"
    before, shims = layered(text, absolute_imports(text))
    after = text.replace("register(1)", "register(2)")
    quick = undone._repointed(codebase(before), codebase(after), MODULE, shims)
    with shortcuts.switched_off():
        plain = undone._repointed(codebase(before), codebase(after), MODULE, shims)
    assert quick == plain is None
    assert undone._repointed(codebase(before), codebase(text), MODULE, shims) is not None
