"""check_identity: a re-export is the very object; a copy is not."""

from __future__ import annotations

from pathlib import Path

from shimkit.verify import check_identity


def test_copy_vs_reexport(tmp_path: Path) -> None:
    src = tmp_path / "src" / "lib"
    src.mkdir(parents=True)
    (src / "__init__.py").write_text("")
    (src / "base.py").write_text("def f():\n    return 1\n\n\nclass C:\n    pass\n")
    (src / "shim.py").write_text(
        "import warnings\nwarnings.warn('old', DeprecationWarning)\n"
        "from lib.base import C, f as g\n"
    )
    (src / "copy.py").write_text("def f():\n    return 1\n")
    (src / "broken.py").write_text("raise RuntimeError('boom')\n")

    problems = check_identity(
        tmp_path,
        "src",
        [
            ("lib.shim", "g", "lib.base", "f"),
            ("lib.shim", "C", "lib.base", "C"),
            ("lib.copy", "f", "lib.base", "f"),
            ("lib.shim", "h", "lib.base", "f"),
            ("lib.broken", "x", "lib.base", "f"),
            ("lib.broken", "y", "lib.base", "f"),
        ],
    )
    assert problems == [
        "lib.copy.f is not lib.base.f (a copy, not a re-export)",
        "lib.shim has no attribute 'h'",
        "cannot import lib.broken: RuntimeError: boom",
    ]
    assert check_identity(tmp_path, "src", []) == []
