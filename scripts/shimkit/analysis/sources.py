"""Discover, read and parse the files of a repository (never imports or runs them)."""

from __future__ import annotations

import ast
import codecs
import io
import os
import stat
import tokenize
from collections.abc import Collection, Sequence
from pathlib import Path

from shimkit.domain.folders import (
    SOURCE_SUFFIXES,
    VIRTUALENV_MARKER,
    not_source_folder,
    outside_content,
)
from shimkit.domain.model import Area, ParseFailure

from .codebase import Codebase, SourceFile
from .memory import no_cycle_collection
from .modules import is_package_path, module_name
from .notebooks import read_notebook_file
from .parse_memo import parsed_once, read_once, same_scan

KIT_MODULES = frozenset({"shimkit", "consolidation_plan"})
_KIT_PACKAGE_DIR = Path(__file__).resolve().parents[1]  # the running shimkit package
_KIT_DIR = "scripts/shimkit"

_AREAS = {a.value: a for a in Area}


def area_of(path: str, src: str = "src") -> Area:
    """The area of a root-relative POSIX path: its top-level directory (``src`` counts as SRC)."""
    src = _norm(src)
    if src not in ("", ".") and (path == src or path.startswith(src + "/")):
        return Area.SRC
    top = path.split("/", 1)[0]
    return _AREAS.get(top, Area.OTHER)


def scan(
    root: Path,
    src: str = "src",
    exclude: Sequence[str] = (),
    tracked: Collection[str] | None = None,
) -> Codebase:
    """Read and parse every ``*.py`` / ``*.ipynb`` of the repository at ``root``, whatever
    folder it is in.

    ``tracked``: the files git tracks (root-relative): only those are read, so a file the user
    has not added is never read (nor rewritten). Without it (no git), every file outside tool
    folders, hidden folders, build output and virtualenvs. Either way, paths under an
    ``exclude`` prefix, tool and state folders, links, and the kit itself (the ``shimkit``
    package and the scripts that import it) are left out. Never raises for a bad file: it
    becomes a ``ParseFailure``.
    """
    root = Path(root)
    src = _norm(src)
    excluded = tuple(_norm(e) for e in exclude if _norm(e))
    files: list[SourceFile] = []
    failures: list[ParseFailure] = []
    # the listing too: the trees of a scan before this one may be held
    with no_cycle_collection():
        listed = _walk(root, excluded) if tracked is None else _tracked(root, tracked, excluded)
        for rel in sorted(listed):
            source, fails = read_source(root, rel, src, listed[rel])
            failures.extend(fails)
            if source is None:
                continue
            if _is_kit_script(source):
                continue
            files.append(source)
    scanned = Codebase(root, src or ".", tuple(files), parse_failures=tuple(failures))
    return same_scan((str(root), src, excluded, tracked is None), scanned)


# root-relative path -> its status (``os.lstat``), taken before the file is read
Listed = dict[str, os.stat_result]


def _walk(root: Path, excluded: tuple[str, ...]) -> Listed:
    """Every source file under ``root`` outside folders that are not the repository's own."""
    paths: Listed = {}
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        rel_dir = here.relative_to(root).as_posix()
        dirnames[:] = sorted(
            d for d in dirnames if not _skip_dir(d, here / d, _join(rel_dir, d), excluded)
        )
        for name in filenames:
            if name.endswith(SOURCE_SUFFIXES):
                rel = _join(rel_dir, name)
                status = _regular(os.path.join(dirpath, name))
                if status is not None and not _excluded(rel, excluded):
                    paths[rel] = status
    return paths


def _regular(path: str) -> os.stat_result | None:
    """The status of the regular file at ``path``; None for a link, which may lead out of the
    tree (or loop): the kit never reads or writes through one (the file it points at is scanned
    where it really lives), and for anything else or nothing."""
    try:
        status = os.lstat(path)
    except OSError:
        return None
    return status if stat.S_ISREG(status.st_mode) else None


def _tracked(root: Path, tracked: Collection[str], excluded: tuple[str, ...]) -> Listed:
    """The tracked source files that are there, outside tool folders and the kit."""
    paths: Listed = {}
    linked: dict[str, bool] = {}  # folder -> whether it or a folder above it is a link
    top = os.fspath(root)
    for rel in tracked:
        parts = rel.split("/")
        if (
            not rel.endswith(SOURCE_SUFFIXES)
            or outside_content(parts)
            or _excluded(rel, excluded)
            or _in_kit(rel, root)
        ):
            continue
        status = _regular(os.path.join(top, rel))
        if status is not None and not _linked_folder(root, parts, linked):
            paths[rel] = status
    return paths


def _linked_folder(root: Path, parts: list[str], linked: dict[str, bool]) -> bool:
    """Whether a folder on the way to a file is a link (the kit never goes through one).
    ``linked``: the answers for folders looked at already in this scan (each folder is looked at
    once, not once per file in it)."""
    folder = "/".join(parts[:-1])
    if folder not in linked:
        above = "/".join(parts[:-2])
        linked[folder] = bool(folder) and (
            (bool(above) and _linked_folder(root, parts[:-1], linked))
            or os.path.islink(os.path.join(root, folder))
        )
    return linked[folder]


def read_source(
    root: Path, rel: str, src: str = "src", status: os.stat_result | None = None
) -> tuple[SourceFile | None, list[ParseFailure]]:
    """Read one file (whose ``os.lstat`` is ``status``, when the caller took it before);
    ``(None, [failure])`` when it cannot be decoded. Within ``parsing_once``, content already
    parsed in the run is not parsed again, nor read again when the file's status shows it
    unchanged (see ``parse_memo``)."""
    path = os.path.join(root, rel)
    if status is None:
        data = Path(path).read_bytes()
        parsed = parsed_once(rel, src, data, lambda: _frozen(parse_source(rel, data, src)))
    else:
        parsed = read_once(
            path, rel, src, status, lambda data: _frozen(parse_source(rel, data, src))
        )
    source, failures = parsed
    return source, list(failures)


def _frozen(
    parsed: tuple[SourceFile | None, list[ParseFailure]],
) -> tuple[SourceFile | None, tuple[ParseFailure, ...]]:
    return parsed[0], tuple(parsed[1])


def parse_source(
    rel: str, data: bytes, src: str = "src"
) -> tuple[SourceFile | None, list[ParseFailure]]:
    """Decode and parse the file ``rel`` whose bytes are ``data``: the one parse of a file."""
    area = area_of(rel, src)
    if rel.endswith(".ipynb"):
        return read_notebook_file(rel, data, area)
    try:
        encoding, text = _decode(data)
    except SyntaxError as e:
        return None, [ParseFailure(rel, e.lineno or 1, f"cannot decode: {e.msg}")]
    except (LookupError, UnicodeDecodeError) as e:
        line = 1
        if isinstance(e, UnicodeDecodeError):
            line = data[: e.start].count(b"\n") + 1
        return None, [ParseFailure(rel, line, f"cannot decode: {e}")]
    failures: list[ParseFailure] = []
    tree: ast.Module | None
    try:
        tree = ast.parse(text, filename=rel)
    except SyntaxError as e:
        tree = None
        failures.append(ParseFailure(rel, e.lineno or 1, e.msg))
    except ValueError as e:  # e.g. null bytes
        tree = None
        failures.append(ParseFailure(rel, 1, str(e)))
    module = module_name(rel, src)
    source = SourceFile(
        path=rel,
        text=text,
        tree=tree,
        module=module,
        is_package=is_package_path(rel),
        area=area,
        encoding=encoding,
    )
    return source, failures


def _decode(data: bytes) -> tuple[str, str]:
    """``(encoding, text)`` per PEP 263, newlines kept. Most files declare nothing and are UTF-8:
    those are decoded directly; anything else goes through the tokenizer's detection."""
    head = data[: data.find(b"\n", data.find(b"\n") + 1) + 1] if b"\n" in data else data
    if not data.startswith(codecs.BOM_UTF8) and b"coding" not in head:
        try:
            return "utf-8", data.decode("utf-8")
        except UnicodeDecodeError:
            pass  # reported with the tokenizer's detection below
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    return encoding, io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="").read()


# -- discovery helpers ---------------------------------------------------------------------------


def _norm(p: str) -> str:
    p = p.replace("\\", "/").strip("/")
    while p.startswith("./"):
        p = p[2:]
    return p


def _join(a: str, b: str) -> str:
    return b if a in ("", ".") else f"{a}/{b}"


def _excluded(rel: str, excluded: tuple[str, ...]) -> bool:
    return any(rel == e or rel.startswith(e + "/") for e in excluded)


def _skip_dir(name: str, path: Path, rel: str, excluded: tuple[str, ...]) -> bool:
    if not_source_folder(name, (path / VIRTUALENV_MARKER).is_file()) or path.is_symlink():
        return True
    return _excluded(rel, excluded) or _is_kit_dir(rel, path)


def _is_kit_dir(rel: str, path: Path) -> bool:
    if rel == _KIT_DIR:
        return True
    try:
        return path.resolve() == _KIT_PACKAGE_DIR
    except OSError:
        return False


def _in_kit(rel: str, root: Path) -> bool:
    """A tracked file inside the kit's own package (``scripts/shimkit``, or wherever it runs
    from when that lies in the tree)."""
    if rel.startswith(_KIT_DIR + "/"):
        return True
    parts = rel.split("/")
    return any(
        _is_kit_dir("/".join(parts[:end]), root.joinpath(*parts[:end]))
        for end in range(1, len(parts))
        if parts[end - 1] == "shimkit"
    )


def _is_kit_script(source: SourceFile) -> bool:
    """A script of the kit: in ``scripts/`` and importing ``shimkit`` or ``consolidation_plan``."""
    if source.area is not Area.SCRIPTS or source.tree is None:
        return False
    for node in ast.walk(source.tree):
        if isinstance(node, ast.Import):
            if any(a.name.split(".")[0] in KIT_MODULES for a in node.names):
                return True
        elif (
            isinstance(node, ast.ImportFrom)
            and node.level == 0
            and node.module
            and node.module.split(".")[0] in KIT_MODULES
        ):
            return True
    return False
