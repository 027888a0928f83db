"""The inverse rewrite of the round-trip battery: route references to a module through a new shim.

Given a module ``M`` (``pkg/leaf.py``) of a pristine tree, a shim ``pkg.leaf_compat`` that
re-exports names ``M`` defines is planted in front of it, and references to those names are
pointed at the shim, in every form the kit rewrites:

- ``from M import a`` (anywhere: module level, in a function, under ``TYPE_CHECKING``);
- ``from .leaf import a`` and ``from ..pkg.leaf import a`` (relative);
- ``import M`` with ``M.a`` chains, and ``import M as alias`` with ``alias.a``;
- the strings ``"M.a"`` (``mock.patch`` targets, decorator arguments) and ``import_module("M")``;
- the same in the code cells of notebooks.

Each planted reference changes only the last component of the module path (``leaf`` becomes
``leaf_compat``), so retiring the shim must give back the pristine bytes exactly. A reference
is planted only where every name it reaches is defined in ``M`` itself (def, class or
assignment): the kit sends such a name back to ``M``, so the pristine text is the one right answer.
"""

from __future__ import annotations

import ast
import functools
import itertools
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from shimkit.analysis.modules import dotted

SHIM_SUFFIX = "_compat"
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_FROM_MODULE = re.compile(r"from\s+\.*\s*([A-Za-z_]\w*(?:\s*\.\s*[A-Za-z_]\w*)*)")
_IMPORT_NAMES = re.compile(r"import\s+")


@dataclass(frozen=True)
class Edit:
    start: int
    end: int
    text: str


@dataclass
class Planted:
    """What was planted in one file (or notebook): edits in text offsets, counted by form."""

    edits: list[Edit] = field(default_factory=list)
    names: set[str] = field(default_factory=set)
    forms: Counter[str] = field(default_factory=Counter)


def shim_of(module: str) -> str:
    return module + SHIM_SUFFIX


def defined_names(tree: ast.Module) -> frozenset[str]:
    """Names a module binds at its top level by def, class or assignment (not by import)."""
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif (
            isinstance(node, ast.AnnAssign)
            and node.value is not None
            and isinstance(node.target, ast.Name)
        ):
            names.add(node.target.id)
    return frozenset(names - {"__all__"})


def line_offsets(text: str) -> list[int]:
    """Offset of the start of every line as ``ast`` counts lines (``\\r\\n``, ``\\r``, ``\\n``)."""
    offsets = [0]
    offsets.extend(match.end() for match in _LINE_BREAK.finditer(text))
    return offsets


def _offset(text: str, offsets: list[int], line: int, column: int) -> int:
    """The text offset of an ``ast`` position (whose column counts UTF-8 bytes)."""
    start = offsets[line - 1]
    end = offsets[line] if line < len(offsets) else len(text)
    return start + len(text[start:end].encode("utf-8")[:column].decode("utf-8", "replace"))


def _resolve(importer: str | None, is_package: bool, level: int, module: str | None) -> str | None:
    if level == 0:
        return module
    if importer is None:
        return None
    parts = importer.split(".") if is_package else importer.split(".")[:-1]
    if level - 1 > len(parts) or (level - 1 == len(parts) and not module):
        return None
    base = parts[: len(parts) - (level - 1)]
    if not base:
        return None
    return ".".join([*base, module]) if module else ".".join(base)


def _contexts(tree: ast.Module) -> dict[int, str]:
    """``id`` of each node under a function or a ``TYPE_CHECKING`` block, and which."""
    where: dict[int, str] = {}

    def mark(node: ast.AST, label: str) -> None:
        for inner in ast.walk(node):
            where.setdefault(id(inner), label)

    for node in ast.walk(tree):
        if isinstance(node, ast.If) and (dotted(node.test) or "").endswith("TYPE_CHECKING"):
            for stmt in node.body:
                mark(stmt, "TYPE_CHECKING")
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for stmt in node.body:
                mark(stmt, "function-local")
    return where


def _decorated(tree: ast.Module) -> set[int]:
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            for decorator in node.decorator_list:
                out.update(id(inner) for inner in ast.walk(decorator))
    return out


class _Planter:
    def __init__(
        self,
        text: str,
        tree: ast.Module,
        module: str,
        defined: frozenset[str],
        importer: str | None,
        is_package: bool,
    ) -> None:
        self.text = text
        self.tree = tree
        self.module = module
        self.leaf = module.rpartition(".")[2]
        self.defined = defined
        self.importer = importer
        self.is_package = is_package
        self.offsets = line_offsets(text)
        self.contexts = _contexts(tree)
        self.decorated = _decorated(tree)
        self.out = Planted()
        self.shadowed: set[int] = set()  # nodes where the module's local name is another binding

    def at(self, line: int, column: int) -> int:
        return _offset(self.text, self.offsets, line, column)

    def rename_leaf(self, start: int, end: int) -> Edit | None:
        """The edit turning the last ``leaf`` of a dotted name in ``text[start:end]`` into the
        shim's leaf, when that text ends with it."""
        piece = self.text[start:end]
        if not re.search(rf"(?<![\w]){re.escape(self.leaf)}$", piece):
            return None
        return Edit(end - len(self.leaf), end, self.leaf + SHIM_SUFFIX)

    def record(self, form: str, node: ast.AST, edits: list[Edit], names: set[str]) -> None:
        context = self.contexts.get(id(node))
        self.out.forms[form] += 1
        if context:
            self.out.forms[context] += 1
        self.out.edits.extend(edits)
        self.out.names |= names

    def plant(self) -> Planted:
        module_imports: list[ast.Import] = []
        for node in ast.walk(self.tree):
            if isinstance(node, ast.ImportFrom):
                self.from_import(node)
            elif isinstance(node, ast.Import) and any(a.name == self.module for a in node.names):
                module_imports.append(node)
            elif isinstance(node, ast.Call):
                self.import_module_call(node)
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                self.attribute_string(node)
        if len(module_imports) == 1:
            self.module_import(module_imports[0])
        return self.out

    def from_import(self, node: ast.ImportFrom) -> None:
        target = _resolve(self.importer, self.is_package, node.level, node.module)
        names = {alias.name for alias in node.names}
        star = names == {"*"}
        if target != self.module or not (star or names <= self.defined):
            return
        start = self.at(node.lineno, node.col_offset)
        found = _FROM_MODULE.match(self.text, start)
        if found is None:
            return
        edit = self.rename_leaf(found.start(1), found.end(1))
        if edit is not None:
            form = "relative from-import" if node.level else "from-import"
            self.record("star import" if star else form, node, [edit], names)

    def import_module_call(self, node: ast.Call) -> None:
        name = dotted(node.func) or ""
        if name.rpartition(".")[2] != "import_module" or not node.args:
            return
        argument = node.args[0]
        if isinstance(argument, ast.Constant) and argument.value == self.module:
            edit = self.string_edit(argument, self.module)
            if edit is not None:
                self.record("import_module string", argument, [edit], set())

    def string_edit(self, node: ast.Constant, value: str) -> Edit | None:
        """The edit of a plain one-piece string literal whose value is ``value``; the module
        path must be its start, as in ``"M.name"``."""
        assert node.end_lineno is not None and node.end_col_offset is not None
        start = self.at(node.lineno, node.col_offset)
        end = self.at(node.end_lineno, node.end_col_offset)
        literal = self.text[start:end]
        if literal not in (f'"{value}"', f"'{value}'"):
            return None
        module_end = start + 1 + len(self.module)
        return self.rename_leaf(start + 1, module_end)

    def attribute_string(self, node: ast.Constant) -> None:
        value = node.value
        if not isinstance(value, str):
            return
        head, _, tail = value.rpartition(".")
        if head != self.module or tail not in self.defined:
            return
        edit = self.string_edit(node, value)
        if edit is None:
            return
        form = "decorator string" if id(node) in self.decorated else "patch string"
        self.record(form, node, [edit], {tail})

    def module_import(self, node: ast.Import) -> None:
        alias = next(a for a in node.names if a.name == self.module)
        local = alias.asname or self.module
        self.shadowed = _shadowed(self.tree, local.split(".")[0])
        uses = self.uses_of(local, aliased=alias.asname is not None)
        if uses is None:
            return
        start = self.at(node.lineno, node.col_offset)
        end = self.at(node.end_lineno or node.lineno, node.end_col_offset or 0)
        statement = self.text[start:end]
        spelled = r"\s*\.\s*".join(map(re.escape, self.module.split(".")))
        matches = list(re.finditer(rf"(?<![\w.]){spelled}(?![\w.])", statement))
        if len(matches) != 1:
            return
        edit = self.rename_leaf(start + matches[0].start(), start + matches[0].end())
        if edit is None:
            return
        form = "module import (alias)" if alias.asname else "module import"
        self.record(form, node, [edit, *uses], {name for _, name in self.chains(local)})
        if self.shadowed:
            self.out.forms["shadowing parameter or local"] += 1

    def chains(self, local: str) -> list[tuple[ast.Attribute, str]]:
        """Every attribute chain ``local.name``, with the name."""
        return [
            (node, node.attr)
            for node in ast.walk(self.tree)
            if isinstance(node, ast.Attribute)
            and dotted(node.value) == local
            and id(node) not in self.shadowed
        ]

    def uses_of(self, local: str, aliased: bool) -> list[Edit] | None:
        """The edits that make every ``local.name`` chain name the shim (none for an alias,
        whose uses do not spell the module). None when ``local`` is used otherwise (bare,
        rebound, or for a name the module does not define), or not at all."""
        chains = self.chains(local)
        if not chains or any(name not in self.defined for _, name in chains):
            return None
        values = {id(node.value) for node, _ in chains}
        root = local.split(".")[0]
        for node in ast.walk(self.tree):
            if id(node) in self.shadowed:
                continue
            stored = isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load)
            if stored and node.id == root:  # type: ignore[attr-defined]
                return None
            bare = isinstance(node, ast.Name | ast.Attribute) and dotted(node) == local
            if bare and id(node) not in values:
                return None
        if aliased:
            return []
        edits: list[Edit] = []
        for node, _ in chains:
            value = node.value
            assert value.end_lineno is not None and value.end_col_offset is not None
            value_end = self.at(value.end_lineno, value.end_col_offset)
            edit = self.rename_leaf(value_end - len(self.leaf), value_end)
            if edit is None:
                return None
            edits.append(edit)
        return edits


def _shadowed(tree: ast.Module, name: str) -> set[int]:
    """The nodes of the bodies of the functions (and lambdas) that bind ``name`` themselves, by a
    parameter or an assignment of their own (no ``global``/``nonlocal``): there ``name`` is not
    the module's. Read with plain ``ast`` rules, independently of the kit."""
    out: set[int] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        args = node.args
        parameters = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
        body = node.body if isinstance(node.body, list) else [node.body]
        inside = [inner for statement in body for inner in ast.walk(statement)]
        declared = any(
            isinstance(inner, ast.Global | ast.Nonlocal) and name in inner.names for inner in inside
        )
        assigned = any(
            isinstance(inner, ast.Name) and inner.id == name and isinstance(inner.ctx, ast.Store)
            for inner in inside
        )
        bound = any(a is not None and a.arg == name for a in parameters) or assigned
        if bound and not declared:
            out.update(id(inner) for inner in inside)
    return out


def may_reference(text: str, module: str) -> bool:
    """Whether ``text`` can hold a plantable reference: every form but a relative import shows
    the dotted module; a relative one shows ``from .`` and the module's last component."""
    if module in text:
        return True
    leaf = module.rpartition(".")[2]
    return leaf in text and re.search(rf"from\s+\.+[\w.]*\b{re.escape(leaf)}\b", text) is not None


@functools.lru_cache(maxsize=8192)
def parsed(text: str) -> ast.Module | None:
    """The tree of ``text`` (read, never changed, by every planting: parsed once)."""
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError):
        return None


def plant_text(
    text: str,
    module: str,
    defined: frozenset[str],
    importer: str | None = None,
    is_package: bool = False,
) -> tuple[str, Planted]:
    """``text`` with its references to ``module`` pointed at the shim, and what was planted."""
    if not may_reference(text, module):
        return text, Planted()
    tree = parsed(text)
    if tree is None:
        return text, Planted()
    planted = _Planter(text, tree, module, defined, importer, is_package).plant()
    return apply(text, planted.edits), planted


def apply(text: str, edits: list[Edit]) -> str:
    unique = sorted(set(edits), key=lambda e: e.start)
    for before, after in itertools.pairwise(unique):
        if after.start < before.end:
            raise ValueError(f"overlapping planted edits at {after.start}")
    for edit in reversed(unique):
        text = text[: edit.start] + edit.text + text[edit.end :]
    return text


def plant_notebook(raw: str, module: str, defined: frozenset[str]) -> tuple[str, Planted]:
    """A notebook's JSON text with the references of its code cells planted, every other byte
    kept: each changed source line is found in the raw text as JSON spells it, and replaced."""
    try:
        notebook = json.loads(raw)
        cells = notebook["cells"]
    except (ValueError, KeyError, TypeError):
        return raw, Planted()
    total = Planted()
    position = 0
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        lines = source if isinstance(source, list) else [source]
        text = "".join(lines)
        if any(line.lstrip().startswith(("%", "!")) for line in text.splitlines()):
            continue
        new_text, planted = plant_text(text, module, defined)
        if not planted.edits:
            continue
        new_lines = new_text.splitlines(keepends=True) if isinstance(source, list) else [new_text]
        if len(new_lines) != len(lines):
            continue
        for old, new in zip(lines, new_lines, strict=True):
            if old == new:
                continue
            spelled = json.dumps(old, ensure_ascii=False)
            found = raw.find(spelled, position)
            if found < 0:
                spelled = json.dumps(old)
                found = raw.find(spelled, position)
            if found < 0:
                return raw, Planted()
            replacement = json.dumps(new, ensure_ascii=spelled.isascii() and not old.isascii())
            raw = raw[:found] + replacement + raw[found + len(spelled) :]
            position = found + len(replacement)
        total.edits.extend(planted.edits)
        total.names |= planted.names
        total.forms["notebook cell"] += sum(
            count for form, count in planted.forms.items() if form not in _CONTEXTS
        )
    return raw, total


_CONTEXTS = frozenset({"function-local", "TYPE_CHECKING"})


def shim_text(module: str, names: set[str], star_names: list[str] | None = None) -> str:
    """The shim: a star import where star imports were planted, the other names listed. With
    both, and a module that declares ``__all__`` (``star_names``), the shim declares the same,
    so that its star import gives exactly the module's names."""
    lines = [f'"""Planted by the round-trip battery: a re-export layer in front of {module}."""\n']
    if "*" in names:
        lines.append(f"from {module} import *  # noqa: F403")
    listed = ", ".join(sorted(names - {"*"}))
    if listed:
        lines.append(f"from {module} import {listed}  # noqa: F401")
    if "*" in names and listed and star_names is not None:
        lines.append(f"\n__all__ = {star_names!r}")
    return "\n".join(lines) + "\n"


def declared_all(tree: ast.Module) -> list[str] | None:
    """A module's ``__all__`` when it is a literal list or tuple of strings."""
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            try:
                value = ast.literal_eval(node.value)
            except (ValueError, TypeError, SyntaxError):
                return None
            return [str(name) for name in value]
    return None


def module_file(root: Path, src: str, module: str) -> Path:
    return root / src / (module.replace(".", "/") + ".py")


__all__ = [
    "Edit",
    "Planted",
    "apply",
    "declared_all",
    "defined_names",
    "module_file",
    "plant_notebook",
    "plant_text",
    "shim_of",
    "shim_text",
]
