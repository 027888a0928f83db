"""Step 5: verify no broken imports, identical re-exports, contracts and tracking tests."""

from consolidation_plan import PLAN
from shimkit.cli import verify_main

if __name__ == "__main__":
    raise SystemExit(verify_main(PLAN))
