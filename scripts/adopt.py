"""Adopt the kit in another repository with one command: ``python scripts/adopt.py --root PATH``
copies what the gate runs, writes a starter plan and a tox.ini with the gate, writes contracts
that start green, and says what to review."""

from pathlib import Path

from shimkit.cli import adopt_main

if __name__ == "__main__":
    raise SystemExit(adopt_main(Path(__file__).resolve().parents[1]))
