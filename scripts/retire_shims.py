"""Retire any set of shim modules (or, with --deprecated, every shim that warns): importers move to
the source of truth, the modules are deleted, and the same checks as step 5 run."""

from consolidation_plan import PLAN
from shimkit.cli import retire_main

if __name__ == "__main__":
    raise SystemExit(retire_main(PLAN))
