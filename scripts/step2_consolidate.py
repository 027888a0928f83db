"""Step 2: delete the nested and the duplicate re-export layers; importers move to the kept compatibility layer."""

from consolidation_plan import PLAN
from shimkit.cli import rewrite_main

if __name__ == "__main__":
    raise SystemExit(rewrite_main(PLAN, "consolidate"))
