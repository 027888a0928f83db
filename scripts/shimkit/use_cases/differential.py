"""The differential guard: the analysis and rewrite with every speed shortcut on, and with them all
off (``shimkit.domain.shortcuts``), must agree.

Both ways retire the same modules on the same tree in memory (nothing is written) and the guard
lists every difference: in the references found, the layers and what each re-exports, the import
graph, the layers that stay and why, and the rewritten text of every file. With the shortcuts
off, every file of the tree is also given to the rewrite (not only those the references name),
and a file that the rewrite would change but the plan leaves alone is a difference too.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from shimkit.analysis.tree_analysis import Analysis
from shimkit.application.preflight import analyse_step
from shimkit.application.run import Run as RunContext
from shimkit.application.workspace import Workspace
from shimkit.domain import shortcuts
from shimkit.domain.errors import KitError
from shimkit.domain.steps import retire_step
from shimkit.planning.moves import is_mixed
from shimkit.rewrite import FileTask, start_rewrites
from shimkit.use_cases.retire import what_can_go
from shimkit.use_cases.rewrite_step import StepOutcome

SHOWN = 5  # differences shown per aspect


@dataclass(frozen=True)
class Run:
    """What one way gives, aspect by aspect (each a mapping from a key to a comparable value)."""

    aspects: Mapping[str, Mapping[str, Any]]


class _Silent:
    """A reporter that shows nothing: the guard compares results, not what a person sees."""

    def __getattr__(self, name: str) -> Callable[..., None]:
        return lambda *args, **kwargs: None

    @contextlib.contextmanager
    def progress(self, description: str, total: int) -> Iterator[_Silent]:
        yield self

    def advance(self, description: str = "") -> None:
        return None


def run_once(workspace: Workspace, modules: Collection[str], every_file: bool) -> Run:
    """Analyse the tree and plan the retirement of ``modules`` (nothing is written)."""
    reporter: Any = _Silent()
    silent = RunContext(workspace, reporter)
    step = retire_step(tuple(sorted(modules)))
    try:
        analysis, step = analyse_step(silent, step, plan_checked=False)
    except KitError as error:
        return Run({"refusal": {"analysis": str(error)}})
    # as retire_shims.py does: a module with code of its own only loses its re-exports
    step = replace(step, mixed=frozenset(m for m in step.retire if is_mixed(analysis, m)))
    aspects: dict[str, Mapping[str, Any]] = {
        "references": _keyed(analysis.inventory.references, lambda r: f"{r.path}:{r.line}"),
        "layers": {layer.module: layer for layer in analysis.inventory.shims},
        "import graph": dict(analysis.imports.files),
    }
    try:
        retirement, outcome = what_can_go(silent, analysis, step, tuple(step.retire))
    except KitError as error:
        aspects["refusal"] = {"rewrite": str(error)}
        return Run(aspects)
    aspects["layers that stay"] = {left.module: left for left in retirement.left}
    texts = {change.path: change.new_text for change in outcome.changes.changes}
    aspects["rewritten text"] = texts
    if every_file:
        aspects["files the plan leaves"] = _unplanned_rewrites(analysis, outcome, texts)
    return Run(aspects)


def _keyed(items: Collection[Any], key: Callable[[Any], str]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for item in items:
        out.setdefault(key(item), []).append(item)
    return out


def _unplanned_rewrites(
    analysis: Analysis, outcome: StepOutcome, planned: Mapping[str, str | None]
) -> dict[str, str]:
    """Files the rewrite changes when given every file, that the plan does not change."""
    decided = {r.path for r in outcome.decisions}
    tasks = [
        FileTask(f.path, f.text, f.module, f.is_package)
        for f in analysis.codebase.files
        if f.path not in planned and f.path not in decided
    ]
    originals = {task.path: task.text for task in tasks}
    return {
        rewrite.path: rewrite.text
        for rewrite in start_rewrites(tasks, outcome.moves)
        if rewrite.changed and rewrite.text != originals[rewrite.path]
    }


def differences(workspace: Workspace, modules: Collection[str]) -> list[str]:
    """Every difference between the run with the shortcuts on and the run with them off."""
    fast = run_once(workspace, modules, every_file=False)
    with shortcuts.switched_off():
        slow = run_once(workspace, modules, every_file=True)
    out: list[str] = []
    for aspect in sorted(fast.aspects.keys() | slow.aspects.keys()):
        if aspect == "files the plan leaves":
            for path in sorted(slow.aspects[aspect])[:SHOWN]:
                out.append(f"{aspect}: {path} changes when the rewrite is given every file")
            continue
        left, right = fast.aspects.get(aspect, {}), slow.aspects.get(aspect, {})
        keys = sorted(k for k in left.keys() | right.keys() if left.get(k) != right.get(k))
        for key in keys[:SHOWN]:
            on, off = _short(left.get(key)), _short(right.get(key))
            out.append(f"{aspect}: {key}: shortcuts on {on}, off {off}")
        if len(keys) > SHOWN:
            out.append(f"{aspect}: and {len(keys) - SHOWN} more")
    return out


def _short(value: Any) -> str:
    text = "absent" if value is None else repr(value)
    return text if len(text) <= 160 else text[:157] + "..."


__all__ = ["Run", "differences", "run_once"]
