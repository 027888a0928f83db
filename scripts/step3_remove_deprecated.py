"""Step 3: delete the plan's deprecated shims (they warn on import); their importers import
each name from the module that really defines it."""

from consolidation_plan import PLAN
from shimkit.cli import rewrite_main

if __name__ == "__main__":
    raise SystemExit(rewrite_main(PLAN, "remove-deprecated"))
