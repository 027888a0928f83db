"""Use cases, one module per entry point: each step, the whole migration, retiring any set of
shims, rolling the plan back, the gate's pre-commit check and adopting the kit."""

from shimkit.use_cases.adopt import run_adopt
from shimkit.use_cases.gate import shim_imports
from shimkit.use_cases.import_smoke import run_import_smoke
from shimkit.use_cases.inventory import run_inventory
from shimkit.use_cases.migrate import migrate
from shimkit.use_cases.retire import run_retire
from shimkit.use_cases.rewrite_step import run_rewrite_step
from shimkit.use_cases.rollback import run_rollback
from shimkit.use_cases.verify import run_verify

__all__ = [
    "migrate",
    "run_adopt",
    "run_import_smoke",
    "run_inventory",
    "run_retire",
    "run_rewrite_step",
    "run_rollback",
    "run_verify",
    "shim_imports",
]
