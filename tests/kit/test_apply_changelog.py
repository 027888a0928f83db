"""CHANGELOG.md entries: creation, placement, format, idempotence."""

from __future__ import annotations

from shimkit.apply import ChangelogEntry, MovedName, add_entry

STEP2 = ChangelogEntry(
    title="Step 2: consolidate MLflow utility re-exports",
    removed=(
        "orchestration.jobs.tracking.mlflow_utils",
        "orchestration.jobs.tracking.mlflow_helpers",
    ),
    moves=(
        MovedName(
            "retry_with_backoff",
            "orchestration.jobs.tracking.mlflow_utils",
            "orchestration.jobs.tracking.utils.mlflow_utils",
        ),
        MovedName(
            "create_child_run",
            "orchestration.jobs.tracking.mlflow_helpers",
            "orchestration.jobs.tracking.utils.helpers",
        ),
    ),
)
STEP3 = ChangelogEntry(
    title="Step 3: remove deprecated orchestration.mlflow_utils",
    removed=("orchestration.mlflow_utils",),
    moves=(
        MovedName(
            "setup_mlflow_for_stage",
            "orchestration.mlflow_utils",
            "infrastructure.tracking.mlflow.setup",
        ),
    ),
)

EXPECTED_NEW = """\
# Changelog

All notable changes to this project will be documented in this file.

The format is based on [Keep a Changelog](https://keepachangelog.com/en/1.1.0/).

## [Unreleased]

### Changed

- Step 2: consolidate MLflow utility re-exports: import paths moved

  | Name | Old import path | New import path |
  | --- | --- | --- |
  | `create_child_run` | `orchestration.jobs.tracking.mlflow_helpers.create_child_run` \
| `orchestration.jobs.tracking.utils.helpers.create_child_run` |
  | `retry_with_backoff` | `orchestration.jobs.tracking.mlflow_utils.retry_with_backoff` \
| `orchestration.jobs.tracking.utils.mlflow_utils.retry_with_backoff` |

### Removed

- Step 2: consolidate MLflow utility re-exports: removed modules
  - `orchestration.jobs.tracking.mlflow_helpers`
  - `orchestration.jobs.tracking.mlflow_utils`
"""


def test_creates_a_keep_a_changelog_file() -> None:
    assert add_entry(None, STEP2) == EXPECTED_NEW
    assert add_entry("", STEP2) == EXPECTED_NEW


def test_same_entry_twice_changes_nothing() -> None:
    once = add_entry(None, STEP2)
    assert add_entry(once, STEP2) == once
    both = add_entry(once, STEP3)
    assert add_entry(add_entry(both, STEP2), STEP3) == both


def test_later_entries_append_within_the_subsections() -> None:
    text = add_entry(add_entry(None, STEP2), STEP3)
    changed = text.index("### Changed")
    removed = text.index("### Removed")
    assert changed < text.index("- Step 2", changed) < text.index("- Step 3", changed) < removed
    assert text.index("- Step 2", removed) < text.index("- Step 3", removed)
    assert text.count("## [Unreleased]") == 1
    assert (
        "| `setup_mlflow_for_stage` | `orchestration.mlflow_utils.setup_mlflow_for_stage` |" in text
    )


def test_unreleased_is_created_above_released_versions() -> None:
    existing = "# Changelog\n\nIntro.\n\n## [1.2.0] - 2025-01-01\n\n### Added\n\n- Something.\n"
    text = add_entry(existing, STEP3)
    assert text.startswith("# Changelog\n\nIntro.\n\n## [Unreleased]\n\n### Changed\n")
    assert text.index("### Removed") < text.index("## [1.2.0] - 2025-01-01")
    assert text.endswith("## [1.2.0] - 2025-01-01\n\n### Added\n\n- Something.\n")


def test_existing_unreleased_subsections_are_reused_in_order() -> None:
    existing = (
        "# Changelog\n\n## [Unreleased]\n\n### Added\n\n- A feature.\n\n### Fixed\n\n- A bug.\n\n"
        "## [0.1.0]\n\n- First.\n"
    )
    text = add_entry(existing, STEP3)
    order = [text.index(h) for h in ("### Added", "### Changed", "### Removed", "### Fixed")]
    assert order == sorted(order)
    assert "- A feature.\n\n### Changed" in text
    assert "`orchestration.mlflow_utils`\n\n### Fixed" in text


def test_same_title_with_other_contents_merges_into_the_entry() -> None:
    first = add_entry(None, STEP3)
    updated = ChangelogEntry(STEP3.title, ("orchestration.mlflow_utils", "x.y"), STEP3.moves)
    text = add_entry(first, updated)
    assert text.count("- Step 3") == 2  # one in Changed, one in Removed
    assert "  - `x.y`" in text
    assert "  - `orchestration.mlflow_utils`" in text


def test_a_rerun_that_finds_less_to_do_loses_no_row_or_module() -> None:
    """A step written partly, then run again, sees only what is left: the entry keeps it all."""
    whole = add_entry(None, STEP2)
    first_half = ChangelogEntry(STEP2.title, STEP2.removed[:1], STEP2.moves[:1])
    second_half = ChangelogEntry(STEP2.title, STEP2.removed[1:], STEP2.moves[1:])
    assert add_entry(add_entry(None, first_half), second_half) == whole
    assert add_entry(whole, second_half) == whole
    assert add_entry(whole, ChangelogEntry(STEP2.title)) == whole


def test_crlf_files_stay_crlf() -> None:
    text = add_entry("# Changelog\r\n\r\n## [1.0.0]\r\n\r\n- x\r\n", STEP3)
    assert "\n" not in text.replace("\r\n", "")
