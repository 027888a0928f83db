"""Which files that do not parse really block a run, and which can only be listed and skipped.

Real trees carry junk that cannot matter: a broken notebook, a test file invalid on purpose
(Django's ``tests_syntax_error.py``), sample files under a test-data folder. A file blocks only
when its raw text could reference a module the run moves or retires: the module's dotted path,
its package and its last name both, or a relative import inside its package. Those are the files
whose references the run cannot see; every other failure is skipped and listed. A ``.py`` inside
a root package, over which import-linter cannot build its graph, is *masked*: contracts are
checked on a view of the tree where it is an empty module, and the output names it as not
checked.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import replace
from pathlib import PurePosixPath

from shimkit.domain.model import ParseFailure

from .codebase import Codebase

_RELATIVE_IMPORT = re.compile(r"^\s*from\s+\.", re.MULTILINE)


def root_packages(codebase: Codebase) -> tuple[str, ...]:
    """The top-level packages of the import root, as import-linter would be given them: regular
    packages (``<src>/<name>/__init__.py``), and top-level modules when the import root is a
    dedicated directory (with ``--src .`` the repository's loose scripts are not packages)."""
    tops: set[str] = set()
    for module in codebase.modules:
        if "." in module:
            continue
        source = codebase.module(module)
        if source is not None and (source.is_package or codebase.src not in ("", ".")):
            tops.add(module)
    return tuple(sorted(tops))


def triage(
    codebase: Codebase, watched: Collection[str], roots: Collection[str]
) -> tuple[ParseFailure, ...]:
    """``codebase.parse_failures`` with ``blocks`` set on those that block a run that moves or
    retires the ``watched`` modules, in a tree whose contracts cover the ``roots`` packages."""
    return tuple(
        replace(
            failure,
            blocks=_blocks(codebase, failure, watched),
            masked=_in_root_package(codebase, failure.path, set(roots)),
        )
        for failure in codebase.parse_failures
    )


def _in_root_package(codebase: Codebase, path: str, roots: set[str]) -> bool:
    """A ``.py`` anywhere under a root package's folder (import-linter reads them all)."""
    if not path.endswith(".py"):
        return False
    base = PurePosixPath(codebase.src if codebase.src not in ("", ".") else "")
    relative = PurePosixPath(path)
    if not relative.is_relative_to(base):
        return False
    parts = relative.relative_to(base).parts
    top = parts[0] if len(parts) > 1 else parts[0].removesuffix(".py")
    return top in roots


def _blocks(codebase: Codebase, failure: ParseFailure, watched: Collection[str]) -> str:
    text = _raw_text(codebase, failure.path)
    for watched_module in sorted(watched):
        reason = _names(text, failure.path, codebase.src, watched_module)
        if reason:
            return reason
    return ""


def _raw_text(codebase: Codebase, path: str) -> str:
    source = codebase.file(path)
    if source is not None:
        return source.text
    try:
        # latin-1 maps every byte: dotted names survive whatever the file's encoding
        return (codebase.root / path).read_bytes().decode("latin-1")
    except OSError:
        return ""


def _names(text: str, path: str, src: str, module: str) -> str:
    if module in text:
        return f"its text names {module}, which this run moves"
    package, _, leaf = module.rpartition(".")
    if package and package in text and re.search(rf"\b{re.escape(leaf)}\b", text):
        return f"its text names {package} and {leaf}, which this run moves"
    if package and _inside(path, src, package) and _RELATIVE_IMPORT.search(text):
        return f"a relative import inside {package}, whose module {module} this run moves"
    return ""


def _inside(path: str, src: str, package: str) -> bool:
    directory = PurePosixPath(src if src not in ("", ".") else "").joinpath(*package.split("."))
    return PurePosixPath(path).is_relative_to(directory)
