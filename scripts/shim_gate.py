"""The shim gate's pre-commit hooks (see .pre-commit-config.yaml): ``contracts`` runs lint-imports
on the tree's .importlinter; ``imports FILE...`` refuses a staged file that imports a retired
shim, or a protected one outside its allowlist."""

from consolidation_plan import PLAN
from shimkit.cli import gate_main

if __name__ == "__main__":
    raise SystemExit(gate_main(PLAN))
