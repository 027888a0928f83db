"""The diff a dry run prints is the change, byte for byte: a user can save it and apply it with
``git apply``, and get what ``--write`` writes. Text a terminal library would dress up (a tab, an
emoji code such as ``:smile:``, a carriage return) is printed as it is in the file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from kit_helpers import (
    KIT_IDENTITY,
    LAYER_TREE,
    Repos,
    commit_all,
    files_under,
    git,
    quick_kit,
    write_tree,
)

pytestmark = pytest.mark.slow

# an importer whose lines a rich console would change (a tab, emoji codes, CRLF line ends), and
# characters str.splitlines cuts at but diff does not (a form feed, a line separator)
DRESSED = (
    b"from app.old import make\r\n"
    b"\x0c\r\n"
    b"GREETING = ':smile: :thumbs_up: \xe2\x80\xa8'\r\n"
    b"def value() -> int:\r\n"
    b"\treturn make()  # :+1:\r\n"
)


def _retire(root: Path, *args: str) -> tuple[int, bytes]:
    """``retire_shims.py app.old ARGS`` on ``root``: exit status and output, bytes as printed
    (no newline translation)."""
    script = str(quick_kit() / "retire_shims.py")
    done = subprocess.run(
        [sys.executable, script, "--root", str(root), "app.old", *args],
        capture_output=True,
        env=Repos.env(COLUMNS="200", **KIT_IDENTITY),
        check=False,
    )
    return done.returncode, done.stdout + b"\n" + done.stderr


def _patch(output: bytes) -> bytes:
    """The diff part of a dry run's output: from the first file header to the closing line."""
    return output[output.index(b"--- a/") : output.index(b"dry run: nothing was written")]


def _tree(root: Path) -> Path:
    write_tree(root, LAYER_TREE)
    (root / "src/app/dressed.py").write_bytes(DRESSED)
    commit_all(root)
    return root


def test_the_printed_diff_applies_and_gives_what_write_writes(tmp_path: Path) -> None:
    shown = _tree(tmp_path / "shown")
    status, output = _retire(shown)
    assert status == 0, output.decode()
    patch = _patch(output)
    assert b" GREETING = ':smile: :thumbs_up: \xe2\x80\xa8'\r\n" in patch
    assert b"-from app.old import make\r\n" in patch
    (tmp_path / "change.patch").write_bytes(patch)
    git(shown, "apply", str(tmp_path / "change.patch"))

    written = _tree(tmp_path / "written")
    status, output = _retire(written, "--write")
    assert status == 0, output.decode()

    def kept(root: Path) -> dict[str, bytes]:
        return {k: v for k, v in files_under(root).items() if k != "CHANGELOG.md"}

    assert kept(shown) == kept(written)
    assert b"\treturn make()  # :+1:\r\n" in (written / "src/app/dressed.py").read_bytes()
