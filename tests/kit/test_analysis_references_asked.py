"""A run that changes a few modules looks for references to those only (``references_to``): on
every tree of the suite's corpus, for each layer asked for alone and for all the plan's shims
together, what it finds is exactly what the search for every layer finds of those modules and the
layers below them."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import pytest
from kit_helpers import build_legacy_repo, build_traps_repo, write_tree
from shimkit.analysis import Codebase, inventory_of, scan
from shimkit.analysis.parse_memo import parsing_once
from shimkit.domain import shortcuts
from shimkit.domain.model import Reference

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"


def corpus_tree(name: str, tmp_path: Path) -> Path:
    if name == "legacy":
        return build_legacy_repo(tmp_path / name)
    if name == "traps":
        return build_traps_repo(tmp_path / name)
    return FIXTURES / name


def of(references: tuple[Reference, ...], modules: Collection[str]) -> tuple[Reference, ...]:
    """The references to ``modules`` or to a module below one of them."""
    return tuple(
        r for r in references if any(r.shim == m or r.shim.startswith(m + ".") for m in modules)
    )


def asked(codebase: Codebase, modules: Collection[str]) -> tuple[Reference, ...]:
    return inventory_of(codebase, also_referenced=modules, references_to=modules).references


@pytest.mark.parametrize(
    "name", ["legacy", "second", "deprecated_layers", "deprecated_layers_computed", "traps"]
)
@pytest.mark.parametrize("shortcuts_on", [True, False])
def test_the_references_asked_for_are_those_of_the_whole_search(
    tmp_path: Path, name: str, shortcuts_on: bool
) -> None:
    from consolidation_plan import PLAN

    root = corpus_tree(name, tmp_path)
    with parsing_once():
        if not shortcuts_on:
            with shortcuts.switched_off():
                _compare(scan(root, "src"), PLAN.shims)
        else:
            _compare(scan(root, "src"), PLAN.shims)


def _compare(codebase: Codebase, plan_shims: Collection[str]) -> None:
    whole = inventory_of(codebase, also_referenced=plan_shims)
    layers = sorted({layer.module for layer in whole.shims})
    assert layers, "the tree has re-export layers"
    assert any(of(whole.references, [layer]) for layer in layers), "and references to them"
    for layer in layers:
        assert asked(codebase, [layer]) == of(whole.references, [layer]), layer
    named = sorted({*plan_shims} & set(codebase.modules)) or layers[:2]
    assert asked(codebase, named) == of(whole.references, named)


BELOW = {
    "src/pkg/__init__.py": "",
    "src/pkg/core.py": "def helper():\n    return 1\n",
    "src/pkg/old/__init__.py": "from pkg.core import helper\n",
    "src/pkg/old/sub.py": "from pkg.core import helper\n",
    "src/pkg/user.py": "from pkg.old.sub import helper\n",
}


def test_a_layer_below_a_module_asked_for_is_looked_for_too(tmp_path: Path) -> None:
    """Retiring the package ``pkg.old`` retires ``pkg.old.sub`` with it: an import of the
    subpackage's layer is an import of what goes, though only the package was named."""
    write_tree(tmp_path, BELOW)
    found = asked(scan(tmp_path, "src"), ["pkg.old"])
    assert [(r.path, r.shim) for r in found] == [("src/pkg/user.py", "pkg.old.sub")]
