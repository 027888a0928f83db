"""Import every module under src/ in a fresh interpreter (the tox ``import-smoke`` env): a module
fails when it does not import, when importing it issues a DeprecationWarning from a project file,
or when a name it re-exports is None. Exit 0 all fine, 1 some module failed, 2 bad input."""

from consolidation_plan import PLAN
from shimkit.cli import import_smoke_main

if __name__ == "__main__":
    raise SystemExit(import_smoke_main(PLAN))
