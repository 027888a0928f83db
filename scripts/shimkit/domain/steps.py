"""What one rewriting step does, derived from a plan's declarations."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from shimkit.domain.plan import Plan


@dataclass(frozen=True)
class StepSpec:
    """A rewriting step.

    - ``retire``: modules deleted by this step; each importer moves to the given kept shim, or to
      the source of truth of every name when the value is None.
    - ``redirect``: kept shims whose importers (outside the kept shims) move to the source of truth.
    - ``normalize``: kept shims rewritten as pure re-exports straight from the source of truth.
    - ``mixed``: modules of ``retire`` that hold code of their own besides re-exports: only their
      re-exports are retired (importers of those names move to the source of truth, the lines
      go), the module and its own names stay.
    """

    number: int
    name: str
    title: str
    retire: Mapping[str, str | None] = field(default_factory=dict)
    redirect: tuple[str, ...] = ()
    normalize: tuple[str, ...] = ()
    mixed: frozenset[str] = frozenset()

    @property
    def moved_modules(self) -> frozenset[str]:
        return frozenset(self.retire) | frozenset(self.redirect)

    @property
    def deleted(self) -> tuple[str, ...]:
        """The retired modules that go whole (a mixed module stays)."""
        return tuple(m for m in self.retire if m not in self.mixed)


def _reformatted(plan: Plan) -> tuple[str, ...]:
    """The kept layers a step rewrites in the canonical format: only where the plan asks."""
    return plan.keep if plan.reformat_kept else ()


def consolidate_step(plan: Plan) -> StepSpec:
    return StepSpec(
        number=2,
        name="consolidate",
        title="Consolidate re-export layers",
        retire=dict(plan.consolidate),
        # a layer that takes over a retired one's names is rewritten to pass them on
        normalize=tuple(dict.fromkeys((*plan.consolidate.values(), *_reformatted(plan)))),
    )


def remove_deprecated_step(plan: Plan) -> StepSpec:
    return StepSpec(
        number=3,
        name="remove-deprecated",
        title="Remove deprecated shims",
        retire=dict.fromkeys(plan.removed),
        normalize=_reformatted(plan),
    )


def update_imports_step(plan: Plan) -> StepSpec:
    return StepSpec(
        number=4,
        name="update-imports",
        title="Import from the source of truth",
        redirect=plan.keep,
        normalize=_reformatted(plan),
    )


def retire_step(
    modules: tuple[str, ...], keep: tuple[str, ...] = (), mixed: frozenset[str] = frozenset()
) -> StepSpec:
    return StepSpec(
        number=0,
        name="retire-shims",
        title="Retire shims: " + ", ".join(modules),
        retire=dict.fromkeys(modules),
        normalize=keep,
        mixed=mixed & frozenset(modules),
    )
