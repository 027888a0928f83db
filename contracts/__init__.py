"""Custom import-linter contract types for the tracked codebase (see ``.importlinter``).

- ``protected_shims.ProtectedShimsContract``: the built-in ``protected`` contract, tolerant of
  protected modules that no longer exist (retired shims).
- ``reexport_only.ReExportOnlyContract``: listed modules contain nothing but re-exports.
- ``retired.RetiredModulesContract``: listed modules do not exist and nothing imports them.

Everything here is static: modules of the checked codebase are located on disk and parsed with
``ast``; none of them is ever imported.
"""
