"""Step 4: every importer outside the kept compatibility layer imports from
infrastructure.tracking.mlflow directly; the layer stays, unused."""

from consolidation_plan import PLAN
from shimkit.cli import rewrite_main

if __name__ == "__main__":
    raise SystemExit(rewrite_main(PLAN, "update-imports"))
