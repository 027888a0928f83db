"""Run steps 1-5 in order (without --write: a rehearsal on a temporary copy)."""

from consolidation_plan import PLAN
from shimkit.cli import migrate_main

if __name__ == "__main__":
    raise SystemExit(migrate_main(PLAN))
