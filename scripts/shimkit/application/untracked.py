"""The kit reads and writes only the files git tracks: a file its author has not added yet is
theirs alone. One that imports a module the run deletes would break unseen, so the run names it,
for its author to rewrite by hand or to add and run again."""

from __future__ import annotations

import re
from collections.abc import Collection

from shimkit.application.run import Run
from shimkit.application.workspace import Workspace
from shimkit.apply import GitState, repo_status
from shimkit.domain.folders import SOURCE_SUFFIXES


def mentions(text: str, module: str) -> bool:
    """Whether ``text`` may import ``module``: its dotted name, or a from-import of it from its
    package (a top-level module: an import statement naming it). A text search, not an
    analysis: a file the kit does not read is only pointed out, never rewritten."""
    package, _, name = module.rpartition(".")
    if not package:
        return re.search(rf"\b(?:import|from)\s+{re.escape(module)}\b", text) is not None
    if re.search(rf"(?<![\w.]){re.escape(module)}\b", text):
        return True
    imported = rf"\b{re.escape(name)}\b"
    listed = rf"(?:\([^)]*{imported}|[^\n(]*{imported})"  # in parentheses, or on its line
    from_package = rf"\bfrom\s+{re.escape(package)}\s+import\s*{listed}"
    return re.search(from_package, text) is not None


def untracked_importers(
    workspace: Workspace, deleted: Collection[str], state: GitState | None = None
) -> dict[str, list[str]]:
    """The untracked source files of the tree that mention one of the ``deleted`` modules, each
    with the modules it mentions (``state``: the tree's ``repo_status``, when taken already)."""
    if not deleted:
        return {}
    found: dict[str, list[str]] = {}
    for path in (repo_status(workspace.root) if state is None else state).untracked:
        if not path.endswith(SOURCE_SUFFIXES):
            continue
        try:
            text = (workspace.root / path).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        named = [module for module in sorted(deleted) if mentions(text, module)]
        if named:
            found[path] = named
    return found


def warn_untracked_importers(
    run: Run, deleted: Collection[str], state: GitState | None = None
) -> None:
    for path, modules in untracked_importers(run.workspace, deleted, state).items():
        run.reporter.warning(
            f"{path} is not tracked by git, so the kit neither reads nor rewrites it, but it "
            f"names {', '.join(modules)}, which this run deletes: rewrite it by hand, or "
            "git add it and run again"
        )
