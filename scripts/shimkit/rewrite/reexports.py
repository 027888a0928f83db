"""Take re-exports out of a module that keeps code of its own (a mixed module).

Pure text -> text. A re-export is a name the module binds by a plain top-level import and does
not use itself; once its importers import it from its source, its line goes (or only its item,
when the statement binds other names too), and every other byte of the module stays.
"""

from __future__ import annotations

import ast
from collections.abc import Collection, Mapping

from .errors import RewriteError
from .facts import indent_at, line_end, line_start
from .statements import ImportKind, Item, ParsedImport, RenderItem, parse_import, render_from


def _offsets(text: str) -> list[int]:
    """The offset where each line starts (index 0: line 1)."""
    starts = [0]
    for index, char in enumerate(text):
        if char == "\n":
            starts.append(index + 1)
    return starts


def _offset(text: str, starts: list[int], line: int, column: int) -> int:
    """The text offset of an ``ast`` position (its column counts UTF-8 bytes)."""
    begin = starts[line - 1]
    end = starts[line] if line < len(starts) else len(text)
    return begin + len(text[begin:end].encode("utf-8")[:column].decode("utf-8", "replace"))


def _local(node: ast.Import | ast.ImportFrom, alias: ast.alias) -> str:
    if isinstance(node, ast.ImportFrom) or alias.asname:
        return alias.asname or alias.name
    return alias.name.split(".")[0]


def _item_local(stmt: ParsedImport, item: Item) -> str:
    if stmt.kind is ImportKind.FROM or item.alias:
        return item.alias or item.name
    return item.name.split(".")[0]


def _without(text: str, stmt: ParsedImport, gone: Collection[str]) -> str:
    """The statement ``stmt`` without the items binding ``gone`` (some stay)."""
    kept = [item for item in stmt.items if _item_local(stmt, item) not in gone]
    if stmt.kind is ImportKind.IMPORT:
        return "import " + ", ".join(text[item.start : item.end] for item in kept)
    items = [RenderItem(text[i.start : i.end], i.leading, i.trailing) for i in kept]
    return render_from(stmt.module_text, items, stmt, indent_at(text, stmt.start), stmt.tail)


def _all_names(tree: ast.Module) -> set[str]:
    listed: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
                listed |= {
                    n.value
                    for n in ast.walk(node)
                    if isinstance(n, ast.Constant) and isinstance(n.value, str)
                }
    return listed


def _blank_lines_before(text: str, offset: int) -> int:
    """Where the blank lines right before the line starting at ``offset`` start."""
    while offset:
        begin = line_start(text, offset - 1)
        if text[begin:offset].strip():
            break
        offset = begin
    return offset


def _blank_lines_after(text: str, offset: int) -> int:
    """Where the blank lines from the line starting at ``offset`` on end."""
    while offset < len(text):
        stop = text.find("\n", offset)
        stop = len(text) if stop < 0 else stop + 1
        if text[offset:stop].strip():
            break
        offset = stop
    return offset


def _with_blank_lines(text: str, lines: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The runs of whole lines that go, each with the blank lines it would leave doubled: a run
    between blank lines takes as many of those after it as there are before it (the gap keeps
    the wider of its two sides), a run at either end of the file the blank lines between it and
    that end."""
    runs: list[tuple[int, int]] = []
    for start, stop in sorted(lines):
        if runs and runs[-1][1] == start:
            start = runs.pop()[0]
        runs.append((start, stop))
    out: list[tuple[int, int]] = []
    for start, stop in runs:
        before, after = _blank_lines_before(text, start), _blank_lines_after(text, stop)
        if after == len(text) or before == 0:  # at an end of the file: no gap to keep
            out.append((before, after) if before == 0 else (before, len(text)))
            continue
        blank_before = text.count("\n", before, start)
        blank_after = text.count("\n", stop, after)
        drop = min(blank_before, blank_after)
        out.append((start, stop if not drop else _line_offset(text, stop, drop)))
    return out


def _line_offset(text: str, offset: int, lines: int) -> int:
    """The offset ``lines`` line breaks after ``offset``."""
    for _ in range(lines):
        offset = text.index("\n", offset) + 1
    return offset


def remove_reexports(text: str, path: str, names: Collection[str]) -> str:
    """``text`` without the top-level imports that bind ``names``. Raises ``RewriteError`` when
    one of them is not bound by a plain top-level import alone on its lines, or ``__all__``
    lists it."""
    wanted = set(names)
    if not wanted:
        return text
    try:
        tree = ast.parse(text)
    except SyntaxError as error:
        raise RewriteError(path, error.lineno or 1, f"does not parse: {error.msg}") from error
    listed = sorted(wanted & _all_names(tree))
    if listed:
        raise RewriteError(path, 1, f"__all__ lists the re-export {listed[0]}; edit it by hand")
    starts = _offsets(text)
    edits: list[tuple[int, int, str]] = []
    lines: list[tuple[int, int]] = []  # whole lines that go
    found: set[str] = set()
    for node in tree.body:
        if not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        gone = {_local(node, a) for a in node.names} & wanted
        if not gone:
            continue
        found |= gone
        assert node.end_lineno is not None and node.end_col_offset is not None
        start = _offset(text, starts, node.lineno, node.col_offset)
        end = _offset(text, starts, node.end_lineno, node.end_col_offset)
        before = text[line_start(text, start) : start]
        after = text[end : line_end(text, end)]
        if before.strip() or after.strip().startswith(";"):
            raise RewriteError(path, node.lineno, "a re-export shares its line; edit it by hand")
        stmt = parse_import(text, start, end)
        if len(gone) == len(stmt.items):
            stop = line_end(text, end)
            stop += 2 if text.startswith("\r\n", stop) else 1 if stop < len(text) else 0
            lines.append((line_start(text, start), stop))
        else:
            edits.append((start, end, _without(text, stmt, gone)))
    missing = sorted(wanted - found)
    if missing:
        raise RewriteError(
            path,
            1,
            f"the re-export {missing[0]} is not a plain top-level import; retire it by hand",
        )
    edits += [(start, stop, "") for start, stop in _with_blank_lines(text, lines)]
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return text


def warning_getattr(moved: Mapping[str, tuple[str, str]], module: str, nl: str = "\n") -> str:
    """A PEP 562 ``__getattr__`` that provides each moved name (local name -> (source module,
    name there)) on access, with a ``DeprecationWarning`` naming where to import it from."""
    lines = [
        "",
        "",
        "def __getattr__(name: str) -> object:",
        f"    # re-exports kept for code outside this project; {module} is public API",
        "    moved = {",
        *(
            f"        {local!r}: ({source!r}, {original!r}),"
            for local, (source, original) in sorted(moved.items())
        ),
        "    }",
        "    if name not in moved:",
        '        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")',
        "    import importlib",
        "    import warnings",
        "",
        "    source, original = moved[name]",
        "    warnings.warn(",
        '        f"{__name__}.{name} is deprecated: import {original} from {source}",',
        "        DeprecationWarning,",
        "        stacklevel=2,",
        "    )",
        "    return getattr(importlib.import_module(source), original)",
    ]
    return nl.join(lines) + nl


def reexports_on_access(
    text: str, path: str, module: str, moved: Mapping[str, tuple[str, str]]
) -> str:
    """``text`` whose re-exports of ``moved`` are provided by a warning ``__getattr__`` instead
    of imported eagerly."""
    try:
        tree = ast.parse(text)
    except SyntaxError as error:
        raise RewriteError(path, error.lineno or 1, f"does not parse: {error.msg}") from error
    if any(
        isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == "__getattr__"
        for node in tree.body
    ):
        raise RewriteError(path, 1, "it defines __getattr__ already; keep its re-exports by hand")
    stripped = remove_reexports(text, path, moved)
    nl = "\r\n" if "\r\n" in text else "\n"
    body = stripped.rstrip("\r\n")
    return body + nl + warning_getattr(moved, module, nl)
