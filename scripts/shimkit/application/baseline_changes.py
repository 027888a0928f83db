"""What changed in the tree since step 1 recorded its baseline: the one question the import
checks, the test selection and the type-checking criterion all ask git."""

from __future__ import annotations

from shimkit.application.run_context import ports
from shimkit.application.workspace import Workspace
from shimkit.domain.model import Inventory


def changed_since_baseline(workspace: Workspace, baseline: Inventory) -> tuple[str, ...] | None:
    """Paths changed, added or deleted since the baseline's commit; None when that cannot be
    told (no baseline commit, or git cannot tell)."""
    if baseline.commit is None:
        return None
    return ports().git.changed_since(workspace.root, baseline.commit)
