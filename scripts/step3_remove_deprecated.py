"""Step 3: delete the deprecated orchestration.mlflow_utils; its importers use
infrastructure.tracking.mlflow.setup directly."""

from consolidation_plan import PLAN
from shimkit.cli import rewrite_main

if __name__ == "__main__":
    raise SystemExit(rewrite_main(PLAN, "remove-deprecated"))
