"""Tests about a retired shim itself (asserting its DeprecationWarning, say) are not rewritten:
whether to delete or rewrite them is a person's decision. This words it, once per file."""

from __future__ import annotations

from collections.abc import Iterable

from shimkit.domain.model import Reference


def shim_tests_to_decide(references: Iterable[Reference]) -> list[str]:
    lines: dict[tuple[str, str], list[int]] = {}
    for reference in references:
        lines.setdefault((reference.path, reference.shim), []).append(reference.line)
    return [
        f"{path}:{','.join(str(n) for n in sorted(set(found)))} tests the retired shim {shim} "
        "itself: left for a person to delete or rewrite"
        for (path, shim), found in sorted(lines.items())
    ]
