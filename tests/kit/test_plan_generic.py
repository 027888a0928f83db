"""The engine is generic: the plan names its layers, tests and figures; the engine names none."""

from __future__ import annotations

import re
from pathlib import Path

from shimkit.domain.plan import Plan
from shimkit.domain.steps import remove_deprecated_step

ENGINE = Path(__file__).resolve().parents[2] / "scripts" / "shimkit"


def test_the_engine_holds_no_word_or_figure_of_the_bundled_plan() -> None:
    found = [
        f"{path.relative_to(ENGINE)}:{number}: {line.strip()}"
        for path in sorted(ENGINE.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"mlflow|~100|100\+|orchestration", line, re.IGNORECASE)
    ]
    assert found == []


def test_the_old_name_of_test_paths_is_accepted() -> None:
    assert Plan(title="t", tracking_tests=("tests/a",)).test_paths == ("tests/a",)
    assert Plan(title="t", test_paths=("tests/b",)).test_paths == ("tests/b",)


def test_a_plain_layer_to_retire_is_deleted_by_step_3_with_the_deprecated_ones() -> None:
    plan = Plan(title="t", deprecated=("pkg.warns",), retire=("pkg.plain",))
    assert list(remove_deprecated_step(plan).retire) == ["pkg.warns", "pkg.plain"]
    assert plan.shims == ("pkg.plain", "pkg.warns")
