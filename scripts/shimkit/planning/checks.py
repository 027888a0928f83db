"""The checks a verification reports: a typed id per check, and the label a person reads.

Code that reads a verification (the success criteria) matches the id, never the label, so
rewording a label changes what is shown and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, auto

# (check, passed, details); passed None: a person must decide (shown apart, fails nothing)
CheckRow = tuple[str, bool | None, str]


class Check(Enum):
    PARSE = auto()
    CONTRACTS_MATCH_PLAN = auto()
    CONTRACTS_PRESENT = auto()
    NO_NEW_VIOLATION = auto()
    RETIRED_DELETED = auto()
    NO_REFERENCE_TO_RETIRED = auto()
    NOTHING_IMPORTS_RETIRED = auto()
    NO_REFERENCE_TO_RETIRED_REEXPORT = auto()
    MODULES_IMPORT = auto()
    KEPT_IDENTITY = auto()
    TESTS = auto()
    NEEDS_DECISION = auto()
    RESTORED_EXACTLY = auto()

    @property
    def label(self) -> str:
        return LABELS[self]


LABELS = {
    Check.PARSE: "no blocking file fails to parse",
    Check.CONTRACTS_MATCH_PLAN: "contracts match the plan",
    Check.CONTRACTS_PRESENT: "import contracts",
    Check.NO_NEW_VIOLATION: "lint-imports (no new violation)",
    Check.RETIRED_DELETED: "retired modules are deleted",
    Check.NO_REFERENCE_TO_RETIRED: "no reference to a retired module",
    Check.NOTHING_IMPORTS_RETIRED: "nothing imports a retired module",
    Check.NO_REFERENCE_TO_RETIRED_REEXPORT: "no reference to a retired re-export",
    Check.MODULES_IMPORT: "baseline modules still import",
    Check.KEPT_IDENTITY: "kept shims re-export the very objects",
    Check.TESTS: "tests",
    Check.NEEDS_DECISION: "needs a decision",
    Check.RESTORED_EXACTLY: "restored exactly",
}


@dataclass(frozen=True)
class CheckResult:
    """One check's verdict: passed, failed, or None (a person must decide; fails nothing)."""

    check: Check
    ok: bool | None
    details: str = ""

    @property
    def row(self) -> CheckRow:
        """As shown: ``(label, passed, details)``."""
        return (self.check.label, self.ok, self.details)
