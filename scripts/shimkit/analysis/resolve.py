"""Follow re-exported names through chains of shims to the module that defines them."""

from __future__ import annotations

from collections.abc import Callable

from shimkit.domain.model import Definition, Resolution, ShimLayer

from .codebase import Codebase
from .namespace import ModuleIndex


def resolve(
    codebase: Codebase,
    shims: tuple[ShimLayer, ...] | list[ShimLayer],
    index: ModuleIndex | None = None,
) -> tuple[Resolution, ...]:
    """One ``Resolution`` per distinct name each shim re-exports (unexpanded ``*`` skipped)."""
    index = index or ModuleIndex(codebase)
    out: list[Resolution] = []
    for shim in shims:
        names = dict.fromkeys(r.name for r in shim.reexports if r.name != "*")
        out.extend(index.resolution(shim.module, name) for name in names)
    return tuple(out)


def make_resolver(
    codebase: Codebase, index: ModuleIndex | None = None
) -> Callable[[str, str], Definition | None]:
    """``resolver(module, name)``: the Definition ``module.name`` refers to, or None (external,
    unknown, a cycle, or a module rather than a name)."""
    index = index or ModuleIndex(codebase)

    def resolver(module: str, name: str) -> Definition | None:
        outcome = index.trace(module, name).outcome
        return outcome if isinstance(outcome, Definition) else None

    return resolver
