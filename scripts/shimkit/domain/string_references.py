"""What a string literal names: the one rule the analysis, the rewrite and the verification share.

A string is a reference when its whole value is a module of interest (``"pkg.old"``) or such a
module followed by a name that module binds (``"pkg.old.helper"``, as ``mock.patch`` and
``import_module`` callers write). A plain word is never a module path (``"hpo"`` stays even when
the top-level package ``hpo`` goes), and neither is a module followed by something it does not
bind (``"hpo.yaml"`` is a file name, not a name of ``hpo``): what the rewrite leaves alone, the
verification never counts as left behind.
"""

from __future__ import annotations

from collections.abc import Callable


def string_reference(
    value: str,
    is_module: Callable[[str], bool],
    binds: Callable[[str, str], bool],
) -> tuple[str, str] | None:
    """``(module, "")`` when ``value`` is a module (``is_module``), ``(module, name)`` when it is
    ``module.name`` and ``binds(module, name)``; None when the string names neither."""
    if "." not in value:
        return None
    if is_module(value):
        return value, ""
    module, _, name = value.rpartition(".")
    if module and name.isidentifier() and is_module(module) and binds(module, name):
        return module, name
    return None


__all__ = ["string_reference"]
