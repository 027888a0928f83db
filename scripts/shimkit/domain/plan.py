"""Declarations of a consolidation plan: which shim modules exist, and what each step does to them.

A plan is data. The step scripts only name a plan and a step; the engine does the rest. The
protected contract in ``.importlinter`` is written from (and checked against) ``Plan.shims``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Plan:
    """The shim layers of a codebase and their fate.

    - ``consolidate``: step 2 deletes each key; its importers move to the value (a kept shim),
      which then re-exports every name the deleted one did.
    - ``deprecated``: layers that warn on import; step 3 deletes these; importers move to the
      source of truth.
    - ``retire``: plain re-export layers (no warning) step 3 deletes like deprecated ones.
    - ``keep``: compatibility layers that stay; step 4 moves every importer outside them to the
      source of truth, so that nothing imports them any more.
    - ``test_paths``: the tests that hold the behaviour (``tracking_tests``, the old name, is
      still accepted).
    - ``success_criteria``: what the plan expects of each criterion of step 5's table, by
      criterion name (e.g. ``{"Code reduction": "about 100 lines removed"}``); a criterion it
      leaves out is measured against no figure.
    - ``reformat_kept``: rewrite the kept layers in the canonical format (docs/design.md: a
      docstring, imports straight from the source, a sorted ``__all__``); by default a kept
      layer is left as it is, but for a consolidation target taking over names.
    - ``test_command``: when given, run instead of pytest on ``test_paths``: a pytest command is
      read per test, any other by its exit status.
    - ``plan_doc``: the plan as a document; after each step that succeeds, the step moves from
      its "Pending Steps" to its "Completed Steps" (``shimkit.domain.plan_status``).
    - ``public_api``: modules that code outside the tree may import: when ``retire_shims.py``
      retires the re-exports of such a module that has code of its own, every importer in the
      tree still moves to the source, but the re-export lines stay.
    - ``warn_on_reexports``: such kept re-exports are provided by a module ``__getattr__`` that
      issues a ``DeprecationWarning`` on access, instead of being imported eagerly.
    """

    title: str
    consolidate: Mapping[str, str] = field(default_factory=dict)
    deprecated: tuple[str, ...] = ()
    retire: tuple[str, ...] = ()
    keep: tuple[str, ...] = ()
    test_paths: tuple[str, ...] = ()
    tracking_tests: tuple[str, ...] = ()  # the old name of test_paths
    # the project's own test command, run from the root instead of pytest on ``test_paths``
    # (``("pytest", "-x", "tests/unit")``, ``("python", "runtests.py")``); () = pytest
    test_command: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()  # path prefixes (relative to root) the engine never reads
    layers: tuple[str, ...] = ()  # top-level packages, highest first: lower never imports higher
    # the plan's own markdown document (relative to the root): its status block is kept current
    plan_doc: str | None = None
    success_criteria: Mapping[str, str] = field(default_factory=dict)
    reformat_kept: bool = False
    public_api: tuple[str, ...] = ()
    warn_on_reexports: bool = False

    def __post_init__(self) -> None:
        if not self.test_paths:  # a plan written with the old name
            object.__setattr__(self, "test_paths", self.tracking_tests)

    @property
    def removed(self) -> tuple[str, ...]:
        """What step 3 deletes: the deprecated layers and the plain ones to retire."""
        return tuple(dict.fromkeys((*self.deprecated, *self.retire)))

    @property
    def retired(self) -> tuple[str, ...]:
        return (*self.consolidate, *self.removed)

    @property
    def shims(self) -> tuple[str, ...]:
        """Every shim module the plan knows: the protected contract's list."""
        return tuple(sorted({*self.retired, *self.keep}))


def test_command_problem(plan: Plan) -> str | None:
    """Why the plan's ``test_command`` cannot be run as it is written, or None."""
    command: object = plan.test_command
    if isinstance(command, str):
        return (
            f"the plan's test_command is one string ({command!r}): write it as words, "
            f"as in {tuple(command.split())!r}"
        )
    if not isinstance(command, (tuple, list)) or not all(
        isinstance(word, str) and word for word in command
    ):
        return f"the plan's test_command must be a tuple of non-empty strings, not {command!r}"
    return None
