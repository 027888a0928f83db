"""``normalize_shim``: a kept compatibility shim in the canonical format of docs/design.md.

Output, in this order (docstring first because ``from __future__`` must follow it):

1. the module docstring (the original literal, or the first string statement even when a legacy
   shim put it after a ``from __future__`` line, which made it no docstring at all), with the
   notice paragraph appended unless it already says "compatibility layer" (case-insensitive);
   a new docstring holding only the notice when there was none;
2. a blank line and the original ``from __future__`` imports, if any;
3. a blank line and one ``from <source> import <names>`` per source module (modules sorted,
   names sorted; parenthesised one name per line when longer than 100 columns);
4. a blank line and ``__all__ = [...]`` (double quotes, sorted; one per line when longer than
   100 columns).

Everything else (warnings, ``try/except ImportError``, ``name = None`` fallbacks) is dropped. The
newline style of the original is kept.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping

DEFAULT_NOTICE = (
    "Compatibility layer: re-exports names from their source modules; "
    "new code imports them from there."
)
_WIDTH = 100


def _docstring(text: str, tree: ast.Module) -> ast.Expr | None:
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            continue
        if (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            return node
        return None
    return None


def _with_notice(literal: str, value: str, notice: str, nl: str) -> str:
    if "compatibility layer" in value.lower():
        return literal
    index = 0
    while literal[index] not in "'\"":
        index += 1
    quote = (
        literal[index : index + 3]
        if literal[index : index + 3] in ('"""', "'''")
        else (literal[index])
    )
    if len(quote) == 1:  # a one-quote docstring becomes a triple-quoted one
        literal = literal[:index] + quote * 3 + literal[index + 1 : -1] + quote * 3
        quote *= 3
    body = literal[index + 3 : -3]
    stripped = body.rstrip()
    closing = body[len(stripped) :]
    if nl not in closing and "\n" not in closing:
        closing = nl
    return f"{literal[: index + 3]}{stripped}{nl}{nl}{notice}{closing}{quote}"


def _source_lines(text: str, node: ast.stmt) -> str:
    lines = text.splitlines(keepends=True)
    start, end = node.lineno - 1, (node.end_lineno or node.lineno)
    chunk = "".join(lines[start:end])
    return chunk[node.col_offset :].rstrip("\r\n")


def _import_line(module: str, names: list[str], nl: str) -> str:
    line = f"from {module} import {', '.join(names)}"
    if len(line) <= _WIDTH:
        return line
    return nl.join([f"from {module} import (", *(f"    {name}," for name in names), ")"])


def _all_line(names: list[str], nl: str) -> str:
    quoted = [f'"{name}"' for name in names]
    line = f"__all__ = [{', '.join(quoted)}]"
    if len(line) <= _WIDTH:
        return line
    return nl.join(["__all__ = [", *(f"    {name}," for name in quoted), "]"])


def normalize_shim(
    text: str,
    exports: Mapping[str, str],
    notice: str = DEFAULT_NOTICE,
    renames: Mapping[str, str] = {},
) -> str:
    """The canonical text of a kept shim re-exporting ``exports`` (exported name -> source).

    ``renames`` maps an exported name to its name in the source module when the two differ; the
    shim then imports it as ``from source import original as name`` (names within an import are
    sorted by their original name, ``__all__`` lists the exported names).
    """
    nl = "\r\n" if "\r\n" in text else "\n"
    tree = ast.parse(text)
    blocks: list[str] = []
    doc = _docstring(text, tree)
    if doc is not None:
        assert isinstance(doc.value, ast.Constant)
        literal = _source_lines(text, doc).replace("\r\n", "\n").replace("\n", nl)
        blocks.append(_with_notice(literal, str(doc.value.value), notice, nl))
    else:
        blocks.append(f'"""{notice}"""')
    futures = [
        _source_lines(text, node)
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module == "__future__"
    ]
    if futures:
        blocks.append(nl.join(futures))
    by_module: dict[str, list[tuple[str, str]]] = {}
    for name, module in exports.items():
        by_module.setdefault(module, []).append((renames.get(name, name), name))
    imports = [
        _import_line(
            module,
            [original if original == name else f"{original} as {name}" for original, name in items],
            nl,
        )
        for module, items in sorted((m, sorted(by_module[m])) for m in by_module)
    ]
    if imports:
        blocks.append(nl.join(imports))
    blocks.append(_all_line(sorted(exports), nl))
    return (nl + nl).join(blocks) + nl
