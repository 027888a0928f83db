"""A file that does not parse and cannot name a changed module never blocks: import-linter checks
the contracts with it masked as an empty module (in a copy, never in the tree), and the output
names it as not checked. One that does name a changed module still blocks, with one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from kit_helpers import (
    Repos,
    build_legacy_repo,
    commit_all,
    files_under,
    run_retire,
    run_script,
    write_tree,
)

pytestmark = pytest.mark.slow

# invalid on purpose, inside root packages the contracts cover: a truncated sample under a data
# folder, and Python 2 syntax kept to test an error message
INVALID = {
    "src/common/sample_payloads/truncated.py": "def payload(:\n    return {\n",
    "src/orchestration/py2_snippet.py": "print 'legacy'\n",
}


def test_contracts_are_checked_with_invalid_files_masked_and_named(tmp_path: Path) -> None:
    legacy = build_legacy_repo(tmp_path / "legacy")
    step1 = run_script("step1_inventory.py", legacy, "--write-contracts")
    assert step1.returncode == 0, step1.stdout + step1.stderr
    write_tree(legacy, INVALID)
    commit_all(legacy, "step 1, and files invalid on purpose")
    result = run_script("retire_shims.py", legacy, "--deprecated", "--write")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "verification passed" in output
    assert "cannot run" not in output and "could not run" not in output
    lint_row = next(line for line in output.splitlines() if "lint-imports" in line)
    assert "contracts kept" in lint_row, output
    # both are named, in the verification and in its notes
    for path in INVALID:
        assert path in output
        assert f"not checked: {path}:1 does not parse" in output
    assert not (legacy / "src/orchestration/mlflow_utils.py").exists()
    for path, text in INVALID.items():
        assert (legacy / path).read_text(encoding="utf-8") == text


def test_a_tests_package_holding_an_invalid_file_does_not_block_a_flat_layout(
    repos: Repos,
) -> None:
    """With ``--src .`` the tests folder is a root package, as in Django's own tree."""
    root = repos.make(None, "kiln")
    write_tree(
        root,
        {
            "kiln/__init__.py": "",
            "kiln/firing.py": "def fire(cone: int) -> str:\n    return f'cone {cone}'\n",
            "kiln/old_firing.py": "from kiln.firing import fire\n\n__all__ = ['fire']\n",
            "tests/__init__.py": "",
            "tests/test_firing.py": """\
                from kiln.old_firing import fire


                def test_fire() -> None:
                    assert fire(6) == 'cone 6'
                """,
            "tests/invalid_syntax_case.py": "class Broken(\n",
        },
    )
    repos.commit_all(root, "a kiln")
    result = run_retire(root, "--src", ".", "kiln.old_firing", "--write")
    assert result.returncode == 0, result
    assert "verification passed" in result.stdout, result
    assert "not checked: tests/invalid_syntax_case.py:1 does not parse" in result.stdout
    test_file = (root / "tests/test_firing.py").read_text(encoding="utf-8")
    assert test_file.startswith("from kiln.firing import fire\n")


def test_an_invalid_file_that_names_the_changed_module_still_blocks(repos: Repos) -> None:
    root = repos.make(None, "kiln")
    write_tree(
        root,
        {
            "src/kiln/__init__.py": "",
            "src/kiln/firing.py": "def fire() -> None: ...\n",
            "src/kiln/old_firing.py": "from kiln.firing import fire\n\n__all__ = ['fire']\n",
            "tests/data/half_written.py": "from kiln.old_firing import (\n",
        },
    )
    repos.commit_all(root, "a kiln")
    before = files_under(root)
    result = run_retire(root, "kiln.old_firing", "--write")
    assert result.returncode == 2, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result
    assert "tests/data/half_written.py:1" in lines[0] and "kiln.old_firing" in lines[0]
    assert files_under(root) == before
