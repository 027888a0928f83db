"""Use cases: one per step, the whole migration, retiring any set of shims, rolling the plan
back, and the gate's pre-commit check."""

from shimkit.application.adopt import run_adopt
from shimkit.application.gate import shim_imports
from shimkit.application.import_smoke_step import run_import_smoke
from shimkit.application.inventory_step import run_inventory
from shimkit.application.migrate import migrate, run_retire
from shimkit.application.options import ImportOptions, RunOptions
from shimkit.application.rewrite_step import run_rewrite_step
from shimkit.application.rollback import run_rollback
from shimkit.application.session import recover_interrupted, run_session
from shimkit.application.verify_step import run_verify
from shimkit.application.workspace import Workspace

__all__ = [
    "ImportOptions",
    "RunOptions",
    "Workspace",
    "migrate",
    "recover_interrupted",
    "run_adopt",
    "run_import_smoke",
    "run_inventory",
    "run_retire",
    "run_rewrite_step",
    "run_rollback",
    "run_session",
    "run_verify",
    "shim_imports",
]
