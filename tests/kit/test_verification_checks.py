"""The success criteria read a verification by its checks' ids, never by the labels shown: a
check reworded in the table is still measured (matching labels, it silently became "not
measured")."""

from __future__ import annotations

import pytest
from shimkit.planning import checks
from shimkit.planning.checks import Check
from shimkit.planning.success_measures import functionality
from shimkit.use_cases.verify import Verification


def _verified() -> Verification:
    result = Verification()
    result.add(Check.PARSE, True)
    result.add(Check.MODULES_IMPORT, True, "12 modules, no new project DeprecationWarning")
    result.add(Check.TESTS, False, "regressions: tests/test_a.py::test_x; 3 passed")
    result.add(Check.NEEDS_DECISION, None, "tests/test_old.py::test_shim fail(s)")
    return result


def test_functionality_is_measured_from_the_import_and_test_checks() -> None:
    assert functionality(_verified().checks) == (
        "imports ok: 12 modules, no new project DeprecationWarning; "
        "tests FAILED: regressions: tests/test_a.py::test_x; 3 passed; "
        "tests to decide: tests/test_old.py::test_shim fail(s)"
    )


def test_a_reworded_check_is_still_measured(monkeypatch: pytest.MonkeyPatch) -> None:
    before = functionality(_verified().checks)
    for check, label in {
        Check.MODULES_IMPORT: "every module of the baseline imports",
        Check.TESTS: "the tracking tests",
        Check.NEEDS_DECISION: "for a person to decide",
    }.items():
        monkeypatch.setitem(checks.LABELS, check, label)
    reworded = _verified()
    assert [label for label, _, _ in reworded.rows][1:] == [
        "every module of the baseline imports",
        "the tracking tests",
        "for a person to decide",
    ]
    assert functionality(reworded.checks) == before


def test_without_those_checks_functionality_is_not_measured() -> None:
    result = Verification()
    result.add(Check.PARSE, True)
    assert functionality(result.checks) == "not measured"


def test_every_check_has_its_own_label() -> None:
    assert set(checks.LABELS) == set(Check)
    assert len(set(checks.LABELS.values())) == len(Check)
