"""Step 1: inventory every MLflow utility re-export layer, its chain and its usages."""

from consolidation_plan import PLAN
from shimkit.cli import inventory_main

if __name__ == "__main__":
    raise SystemExit(inventory_main(PLAN))
