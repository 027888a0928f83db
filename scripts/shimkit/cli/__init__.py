"""Thin command line over ``shimkit.application``."""

from shimkit.cli.main import (
    adopt_main,
    gate_main,
    import_smoke_main,
    inventory_main,
    migrate_main,
    retire_main,
    rewrite_main,
    rollback_main,
    verify_main,
)

__all__ = [
    "adopt_main",
    "gate_main",
    "import_smoke_main",
    "inventory_main",
    "migrate_main",
    "retire_main",
    "rewrite_main",
    "rollback_main",
    "verify_main",
]
