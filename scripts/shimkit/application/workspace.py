"""One static look at a repository: its files, shim layers, chains and references."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

from shimkit.analysis import (
    Codebase,
    inventory_of,
    make_resolver,
    scan,
)
from shimkit.analysis.parse_memo import derived_once
from shimkit.analysis.tree_analysis import Analysis
from shimkit.application.run_context import ports
from shimkit.domain.errors import KitError, doing
from shimkit.domain.importlinter_file import CONFIG, read_root_packages
from shimkit.domain.phases import ANALYSIS, timed
from shimkit.domain.plan import Plan


@dataclass(frozen=True)
class Workspace:
    """Where a run works: the repository root, its import root and the plan it carries out."""

    root: Path
    src: str
    plan: Plan
    # the user's tree this one is a working copy of: where its branches and history live
    origin: Path | None = None

    @property
    def repository(self) -> Path:
        """Where to ask git about history and other branches (the user's tree, not a copy)."""
        return self.origin or self.root

    def check(self) -> None:
        if not self.root.is_dir():
            raise KitError(f"root {self.root} is not a directory")
        source = (self.root / self.src).resolve()
        if not source.is_relative_to(self.root.resolve()):
            raise KitError(f"--src {self.src} lies outside --root {self.root}")
        if not source.is_dir():
            above = [up for up in self.root.resolve().parents if (up / self.src).is_dir()]
            hint = (
                f"; is the repository root --root {above[0]}?"
                if above
                else "; pass the repository root as --root, or the import root as --src"
            )
            raise KitError(f"no source directory {self.src!r} under {self.root}{hint}")


def existing_config(root: Path) -> str | None:
    """The tree's own ``.importlinter``, None when it has none."""
    path = root / CONFIG
    return path.read_text(encoding="utf-8") if path.is_file() else None


def _configured_roots(root: Path) -> tuple[str, ...] | None:
    """The root packages the tree's own ``.importlinter`` names, if it has one that parses."""
    path = root / CONFIG
    try:
        return read_root_packages(path.read_text(encoding="utf-8")) or None
    except (OSError, UnicodeDecodeError, ValueError):
        return None


@timed(ANALYSIS)
def analyse(
    workspace: Workspace,
    extra_shims: Collection[str] = (),
    watched: Collection[str] | None = None,
    names_before: Mapping[str, Collection[str]] | None = None,
    *,
    referenced_only: bool = False,
) -> Analysis:
    """Scan the repository: every re-export layer, and references to them, to the plan's shims
    (deleted ones included, with the names they bound in ``names_before``) and to any
    ``extra_shims``; ``referenced_only``: references to the plan's shims and ``extra_shims``
    only (what a step that moves ``extra_shims``, and its verification, read). A file that
    does not parse blocks the run when it could name one of ``watched`` (default: all of
    those) or lies in a root package (see ``shimkit.analysis.triage``)."""
    workspace.check()
    with doing("analysing the tree"):
        codebase = scan(
            workspace.root,
            workspace.src,
            exclude=workspace.plan.exclude,
            tracked=ports().git.tracked_files(workspace.repository),
        )
        return reanalyse(
            workspace, codebase, extra_shims, watched, names_before, referenced_only=referenced_only
        )


@timed(ANALYSIS)
def reanalyse(
    workspace: Workspace,
    codebase: Codebase,
    extra_shims: Collection[str] = (),
    watched: Collection[str] | None = None,
    names_before: Mapping[str, Collection[str]] | None = None,
    *,
    referenced_only: bool = False,
) -> Analysis:
    """``analyse`` of an already scanned tree, for another set of modules (within a run, the
    analysis made earlier of the same codebase for the same modules)."""
    also_referenced = frozenset({*workspace.plan.shims, *extra_shims})
    roots = _configured_roots(workspace.root)

    def analysis() -> Analysis:
        inventory = inventory_of(
            codebase,
            also_referenced=also_referenced,
            watched=watched,
            roots=roots,
            names_before=names_before,
            references_to=also_referenced if referenced_only else None,
        )
        return Analysis(codebase=codebase, inventory=inventory, resolver=make_resolver(codebase))

    bound_before = (
        None
        if names_before is None
        else frozenset((module, frozenset(names)) for module, names in names_before.items())
    )
    watching = None if watched is None else frozenset(watched)
    key = ("analysis", also_referenced, watching, roots, bound_before, referenced_only)
    return derived_once(codebase, key, analysis)


def require_parsable(analysis: Analysis) -> None:
    """Refuse to go on while a file that blocks the run does not parse (its references are
    unknown); files that cannot matter are only listed."""
    failures = analysis.inventory.blocking_failures
    if failures:
        first = failures[0]
        more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
        raise KitError(
            f"{first.path}:{first.line} does not parse ({first.message}){more}; "
            f"it blocks this run ({first.blocks}): fix it first"
        )
