"""How Python resolves a relative import: the one copy of the rule every layer uses."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable


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


def relative_spelling(importer: str, is_package: bool, level: int, target: str) -> str:
    """How ``from <level dots>... import`` in ``importer`` names ``target`` after a rewrite, so
    the file keeps its style: at the same level when ``target`` lies in the package that level
    reaches (``from ..jobs.old`` becomes ``from ..jobs.new``); else relative with the fewest dots
    when ``target`` lies in the importer's own top-level package; else absolute (a relative
    import cannot leave its top-level package)."""
    base = resolve_relative(importer, is_package, level, None)
    if base is not None and (target == base or target.startswith(base + ".")):
        return "." * level + target[len(base) + 1 :]
    package = importer.split(".") if is_package else importer.split(".")[:-1]
    parts = target.split(".")
    if not package or parts[0] != package[0]:
        return target
    shared = 0
    while shared < min(len(package), len(parts)) and package[shared] == parts[shared]:
        shared += 1
    return "." * (len(package) - shared + 1) + ".".join(parts[shared:])


def as_read(text: str) -> str:
    """``text`` with its names spelled as Python reads them: an identifier is read in its NFKC
    form, so ``helpers`` with a full-width ``h`` imports ``helpers`` where the text never shows
    that word. A text filter that looks for a name looks in this. An ASCII text is its own
    form; no character's form holds a line break, so lines keep their numbers."""
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


# a relative import: ``from .`` / ``from ..x`` (the only form that can reach a module unnamed)
RELATIVE_IMPORT = re.compile(r"\bfrom\s*\.")


def reaches_unnamed(module: str | None, is_package: bool, targets: Iterable[str]) -> bool:
    """Whether a relative import in ``module`` can reach one of ``targets`` without showing its
    name: ``from .. import x`` reaches the package it lies in, or an ancestor of it."""
    if module is None:
        return False
    package = module if is_package else module.rpartition(".")[0]
    return bool(package) and any(
        package == target or package.startswith(target + ".") for target in targets
    )
