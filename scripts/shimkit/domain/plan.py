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
    - ``deprecated``: step 3 deletes these; importers move to the source of truth.
    - ``keep``: compatibility layers that stay; step 4 moves every importer outside them to the
      source of truth, so that nothing imports them any more.
    - ``tracking_tests``: the test paths pytest runs (step 1's baseline, every verification);
      ``test_command``, when given, is run instead: a pytest command is read per test, any other
      by its exit status.
    - ``plan_doc``: the plan as a document; after each step that succeeds, the step moves from
      its "Pending Steps" to its "Completed Steps" (``shimkit.domain.plan_status``).
    """

    title: str
    consolidate: Mapping[str, str] = field(default_factory=dict)
    deprecated: tuple[str, ...] = ()
    keep: tuple[str, ...] = ()
    tracking_tests: tuple[str, ...] = ()
    # the project's own test command, run from the root instead of pytest on ``tracking_tests``
    # (``("pytest", "-x", "tests/unit")``, ``("python", "runtests.py")``); () = pytest
    test_command: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()  # path prefixes (relative to root) the engine never reads
    layers: tuple[str, ...] = ()  # top-level packages, highest first: lower never imports higher
    # the plan's own markdown document (relative to the root): its status block is kept current
    plan_doc: str | None = None

    @property
    def retired(self) -> tuple[str, ...]:
        return (*self.consolidate, *self.deprecated)

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
