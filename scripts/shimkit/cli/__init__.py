"""Thin command line over ``shimkit.application``."""

from shimkit.cli.main import (
    import_smoke_main,
    inventory_main,
    migrate_main,
    retire_main,
    rewrite_main,
    verify_main,
)

__all__ = [
    "import_smoke_main",
    "inventory_main",
    "migrate_main",
    "retire_main",
    "rewrite_main",
    "verify_main",
]
