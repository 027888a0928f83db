"""How Python resolves a relative import: the one copy of the rule every layer uses."""

from __future__ import annotations


def resolve_relative(
    importer: str | None, is_package: bool, level: int, module: str | None
) -> str | None:
    """The absolute module named by ``from <level dots><module> import ...`` in ``importer``.

    ``is_package`` says whether ``importer`` is a package ``__init__``. Returns ``module`` itself
    for an absolute import (``level`` 0), and None where Python raises ImportError: a relative
    import in a file with no module name, in a top-level module (no parent package), or one that
    climbs above the top-level package (``from ..x import y`` in ``a/__init__.py``).
    """
    if level == 0:
        return module
    if importer is None:
        return None
    package = importer.split(".") if is_package else importer.split(".")[:-1]
    climb = level - 1
    if climb >= len(package):
        return None
    base = package[: len(package) - climb]
    return ".".join([*base, *module.split(".")] if module else base)


def relative_spelling(importer: str, is_package: bool, target: str) -> str:
    """How a relative from-import in ``importer`` names ``target``: relative (the fewest dots)
    when ``target`` lies in the importer's own top-level package, so a rewrite keeps the file's
    style; the absolute ``target`` otherwise (a relative import cannot leave its top-level
    package)."""
    package = importer.split(".") if is_package else importer.split(".")[:-1]
    parts = target.split(".")
    if not package or parts[0] != package[0]:
        return target
    shared = 0
    while shared < min(len(package), len(parts)) and package[shared] == parts[shared]:
        shared += 1
    return "." * (len(package) - shared + 1) + ".".join(parts[shared:])
