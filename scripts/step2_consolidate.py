"""Step 2: delete the nested and the duplicate re-export layers; their importers move to the
kept compatibility layer, which re-exports every name they did."""

from consolidation_plan import PLAN
from shimkit.cli import rewrite_main

if __name__ == "__main__":
    raise SystemExit(rewrite_main(PLAN, "consolidate"))
