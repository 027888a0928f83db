"""What the kit's end-to-end tests share: real git repos, the legacy tree, running the scripts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "scripts"


def git(root: Path, *args: str) -> str:
    """Run git in ``root`` with a throwaway identity (CI has no global git config)."""
    done = subprocess.run(
        ["git", "-c", "user.name=kit", "-c", "user.email=kit@example.invalid", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def commit_all(root: Path, message: str = "snapshot") -> None:
    if not (root / ".git").exists():
        git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "-m", message)


def build_legacy_repo(dest: Path) -> Path:
    """The bundled legacy tree, committed: what a user runs the steps on."""
    subprocess.run(
        [sys.executable, str(REPO / "tests/fixtures/build_legacy.py"), str(dest)],
        check=True,
        capture_output=True,
    )
    commit_all(dest, "legacy tree")
    return dest


def run_script(script: str, root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run one of the kit's scripts as a user would, from outside the tree it works on."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    env["COLUMNS"] = "200"
    return subprocess.run(
        [sys.executable, str(SCRIPTS / script), "--root", str(root), *args],
        capture_output=True,
        text=True,
        env=env,
    )


def files_under(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts and ".git" not in path.parts
    }
