"""The differential guard over the round-trip corpus (``roundtrip.py --differential``).

For every tree, shims are planted as for a round trip; then the analysis and the rewrite that
retire them run with every speed shortcut on and with them all off
(``shimkit.use_cases.differential``); any difference in references, layers, import graph,
layers that stay or rewritten text is listed, and the run exits 1.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table
from shimkit.application.workspace import Workspace
from shimkit.domain.plan import Plan
from shimkit.use_cases.differential import differences

if TYPE_CHECKING:
    from tests.batteries.roundtrip import Tree


def run_differential(
    trees: Sequence[Tree], work: Path, console: Console, mixed: bool = False
) -> int:
    """``mixed``: re-exports planted in existing modules (``--mode mixed``), not new shims."""
    from tests.batteries.roundtrip import mixed_copy, planted_copy

    table = Table(title="differential guard: shortcuts on against off")
    for column in ("tree", "shims", "files", "differences", "first difference", "s"):
        table.add_column(column, overflow="fold")
    total = 0
    for tree in trees:
        started = time.monotonic()
        where = work / f"{tree.package.label}-differential"
        if mixed:
            root, shims, _ = mixed_copy(tree, where, len(tree.shims) or 4)
        else:
            root, shims, _ = planted_copy(tree, where)
        workspace = Workspace(root, tree.package.src, Plan(title="differential guard"))
        found = differences(workspace, shims)
        seconds = time.monotonic() - started
        files = sum(1 for path in root.rglob("*") if path.suffix in (".py", ".ipynb"))
        total += len(found)
        console.print(f"{tree.package.label}: {len(found)} differences ({seconds:.0f} s)")
        for line in found:
            console.print(f"  {line}")
        table.add_row(
            tree.package.label, str(len(shims)), str(files), str(len(found)),
            found[0][:160] if found else "", f"{seconds:.0f}",
        )  # fmt: skip
    console.print(table)
    console.print(f"trees {len(trees)}, differences {total}")
    return 1 if total else 0


__all__ = ["run_differential"]
