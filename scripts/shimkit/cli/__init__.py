"""Thin command line over ``shimkit.use_cases``."""

from shimkit.cli.requirements import require_libraries

require_libraries()  # before the engine imports them

from shimkit.cli.main import (  # noqa: E402
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
