"""run_lint_imports: the real lint-imports on a tiny tree."""

from __future__ import annotations

from pathlib import Path

from shimkit.verify import run_lint_imports

CONFIG = """\
[importlinter]
root_packages =
    high
    low

[importlinter:contract:layers]
name = high above low
type = layers
layers =
    high
    low
"""


def _tree(root: Path, low_imports_high: bool) -> Path:
    for package in ("high", "low"):
        (root / "src" / package).mkdir(parents=True)
        (root / "src" / package / "__init__.py").write_text("")
    (root / "src" / "high" / "a.py").write_text("import low.b\n")
    (root / "src" / "low" / "b.py").write_text("import high.a\n" if low_imports_high else "x = 1\n")
    (root / ".importlinter").write_text(CONFIG)
    return root


def test_kept_and_broken_contract(tmp_path: Path) -> None:
    kept = run_lint_imports(_tree(tmp_path / "kept", False), "src")
    assert kept.ok and kept.returncode == 0, kept.output
    assert "1 kept, 0 broken" in kept.output

    broken = run_lint_imports(_tree(tmp_path / "broken", True), "src")
    assert not broken.ok and broken.returncode == 1
    assert "BROKEN" in broken.output and "low.b -> high.a" in broken.output


def test_missing_config(tmp_path: Path) -> None:
    result = run_lint_imports(tmp_path, "src", config="custom.ini")
    assert (result.ok, result.returncode) == (False, None)
    assert result.output == "import-linter config not found: custom.ini"
