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
