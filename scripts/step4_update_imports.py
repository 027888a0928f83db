"""Step 4: every importer outside the kept compatibility layers imports each name from the
module that really defines it; the layers stay, unused."""

from consolidation_plan import PLAN
from shimkit.cli import rewrite_main

if __name__ == "__main__":
    raise SystemExit(rewrite_main(PLAN, "update-imports"))
