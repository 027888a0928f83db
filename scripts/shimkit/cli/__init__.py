"""Thin command line over ``shimkit.application``."""

from shimkit.cli.main import inventory_main, migrate_main, retire_main, rewrite_main, verify_main

__all__ = ["inventory_main", "migrate_main", "retire_main", "rewrite_main", "verify_main"]
