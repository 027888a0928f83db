"""The gate where teams run it (pre-commit): no staged file imports a retired or protected shim,
nor a retired re-export (``module:name``) from the module with code of its own that kept it.

What is retired and protected comes from the tree's own ``.importlinter`` (the kit keeps it
current, and a retired module stays listed there for good). Every reference to a retired module
is refused, in any file: it no longer exists. A protected (kept) shim may be imported only by
the legacy importers its contract allowlists and by the kept layers themselves; test files,
notebooks and scripts may use it (its own tests exercise it). Static: nothing is imported.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path

from shimkit.analysis import Codebase, find_references
from shimkit.analysis.sources import read_source
from shimkit.domain.errors import KitError
from shimkit.domain.folders import SOURCE_SUFFIXES
from shimkit.domain.importlinter_file import CONFIG, read_lists
from shimkit.domain.model import Reference
from shimkit.planning.contracts import IMPORT_KINDS


def _allowed(importer: str, patterns: Collection[str]) -> bool:
    for pattern in patterns:
        package = pattern.removesuffix(".**")
        if importer == package or (pattern.endswith(".**") and importer.startswith(package + ".")):
            return True
    return False


def _staged_sources(
    root: Path, src: str, paths: Sequence[str], exclude: Collection[str]
) -> Codebase:
    files = []
    for path in paths:
        if any(path == e or path.startswith(e.rstrip("/") + "/") for e in exclude):
            continue  # a path the plan keeps the engine out of (fixtures, say)
        if path.endswith(SOURCE_SUFFIXES) and (root / path).is_file():
            source, _ = read_source(root, path, src)
            if source is not None:
                files.append(source)
    return Codebase(root=root, src=src, files=tuple(files))


def shim_imports(
    root: Path, src: str, paths: Sequence[str], exclude: Collection[str] = ()
) -> list[str]:
    """One line per reference in ``paths`` (root-relative; those under an ``exclude`` prefix
    left out) that the gate refuses."""
    config = root / CONFIG
    if not config.is_file():
        raise KitError(f"no {CONFIG} at {root}: nothing says which shims are retired")
    try:
        lists = read_lists(config.read_text(encoding="utf-8"))
    except ValueError as error:
        raise KitError(str(error)) from error
    retired = set(lists["retired"])
    protected = set(lists["protected"]) - retired
    kept = {*protected, *lists["allowed_importers"]}
    allowlist = {
        (importer.strip(), shim.strip())
        for importer, _, shim in (entry.partition("->") for entry in lists["allowlist"])
    }
    reexports: dict[str, set[str]] = {}
    for entry in lists["retired_names"]:
        module, _, name = entry.partition(":")
        reexports.setdefault(module, set()).add(name)
    codebase = _staged_sources(root, src, paths, exclude)
    problems: list[str] = []
    for reference in find_references(codebase, retired | protected | set(reexports)):
        gone = sorted(reexports.get(reference.shim, set()) & set(reference.names))
        if reference.shim in retired:
            advice = "it is gone: import from its source (CHANGELOG.md names it)"
            problems.append(_line(reference, "the retired shim", advice))
        elif gone:
            advice = "import it from its source (CHANGELOG.md names it)"
            what = f"the retired re-export {gone[0]} of"
            problems.append(_line(reference, what, advice))
        elif reference.shim in protected and _refused_import(reference, kept, allowlist):
            problems.append(
                _line(reference, "the protected shim", "import from the source of truth")
            )
    return problems


def _refused_import(
    reference: Reference, kept: set[str], allowlist: set[tuple[str, str]]
) -> bool:
    importer = reference.importer
    if reference.kind not in IMPORT_KINDS or importer is None:
        return False
    return not _allowed(importer, kept) and (importer, reference.shim) not in allowlist


def _line(reference: Reference, what: str, advice: str) -> str:
    where = f"{reference.path}:{reference.line}"
    if reference.cell is not None:
        where = f"{reference.path} (cell {reference.cell}, line {reference.line})"
    return f"{where}: {reference.text or 'refers to'} -> {what} {reference.shim}: {advice}"
