"""Roll the plan back: revert the kit's step commits in reverse order (git revert; history is
never rewritten), restoring deleted shims and importers exactly; then check the restored tree."""

from consolidation_plan import PLAN
from shimkit.cli import rollback_main

if __name__ == "__main__":
    raise SystemExit(rollback_main(PLAN))
