"""Runs things in subprocesses and reports the results as data: import smoke, identity check,
lint-imports, pytest (with baseline re-runs in a temporary git worktree)."""

from shimkit.verify.contracts_probe import (
    ContractResult,
    ContractsReport,
    probe_contracts,
    probe_text,
)
from shimkit.verify.identity import check_identity
from shimkit.verify.import_smoke import (
    DeprecationRecord,
    ImportMode,
    ModuleSmoke,
    SmokeOutcome,
    SmokeReport,
    smoke_modules,
)
from shimkit.verify.lint import LintResult, run_lint_imports
from shimkit.verify.test_command import describe as describe_command
from shimkit.verify.test_command import runs_pytest
from shimkit.verify.tests_runner import (
    PRE_EXISTING,
    REGRESSION,
    BaselineComparison,
    CollectionError,
    TestOutcome,
    TestRun,
    classify_failures,
    collect_node_ids,
    compare_with_baseline,
    run_tests,
    run_tests_at,
    verdicts_against,
)
from shimkit.verify.worktree import WorktreeError, temporary_worktree

__all__ = [
    "PRE_EXISTING",
    "REGRESSION",
    "BaselineComparison",
    "CollectionError",
    "ContractResult",
    "ContractsReport",
    "DeprecationRecord",
    "ImportMode",
    "LintResult",
    "ModuleSmoke",
    "SmokeOutcome",
    "SmokeReport",
    "TestOutcome",
    "TestRun",
    "WorktreeError",
    "check_identity",
    "classify_failures",
    "collect_node_ids",
    "compare_with_baseline",
    "describe_command",
    "probe_contracts",
    "probe_text",
    "run_lint_imports",
    "run_tests",
    "run_tests_at",
    "runs_pytest",
    "smoke_modules",
    "temporary_worktree",
    "verdicts_against",
]
