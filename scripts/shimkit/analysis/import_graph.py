"""The static import graph of a scanned tree: which modules each file imports, and which modules a
change can affect. Built from the trees ``scan`` already parsed; nothing is parsed twice.

What counts as an import of module ``m`` (an edge), wherever it sits in the file (module level,
inside a function, a ``try`` or an ``if TYPE_CHECKING:`` block: a change to ``m`` can break any of
them, so the graph errs on the side of checking more):

- ``import m`` / ``import m as x``;
- ``from m import name``, and ``from pkg import sub`` also imports ``pkg.sub`` when that is a module
  of the tree;
- relative forms, resolved against the importing module (files outside ``src`` have no package, so
  their relative imports are unresolved and ignored);
- ``importlib.import_module("m")`` / ``import_module(".m", "pkg")`` / ``__import__("m")`` with
  string literals.

Importing ``a.b.c`` also runs ``a/__init__`` and ``a/b/__init__``: the closure adds the parent
packages of every module it reaches rather than listing them as edges.

Only names under a top-level package of ``src`` are project edges. A project name that is not a
module of the tree (a module that was deleted, or a typo) stays an edge, so that its importers are
affected when it is listed as deleted; ``from pkg import name`` where ``pkg.name`` is not a module
is recorded as a *candidate*: it matters only if a module of that name was deleted. A file outside
``src`` that imports a bare name matching a file next to it (``helpers.py`` beside a test, which
pytest and a script's directory put on ``sys.path``) has an edge to that file.

Everything else is *external*: what a module's import runs outside the project (third-party and
standard library). Only imports that run when the module is imported count there (not inside a
function or under ``TYPE_CHECKING``); they are what an import check may load once beforehand.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath

from shimkit.domain import shortcuts
from shimkit.domain.imports import as_read, reaches_unnamed

from .astwalk import is_type_checking
from .codebase import Codebase, SourceFile
from .modules import dotted, resolve_relative
from .parse_memo import file_memo

__all__ = [
    "FileImports",
    "ImportGraph",
    "ImportOrder",
    "ImportSite",
    "import_graph",
    "imports_of",
]

_DYNAMIC_IMPORTS = frozenset({"importlib.import_module", "import_module", "__import__"})


@dataclass(frozen=True)
class FileImports:
    """What one scanned file imports."""

    path: str
    module: str | None  # its dotted name when it is a module under src
    imports: frozenset[str]  # project modules it imports, anywhere in the file
    candidates: frozenset[str]  # ``pkg.name`` of ``from pkg import name`` (no such module today)
    local_files: frozenset[str]  # files next to it imported by bare name (files outside src)
    external: frozenset[str]  # non-project modules imported when it is imported
    # project modules imported when it is imported (not in a function or under TYPE_CHECKING)
    at_import: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ImportOrder:
    """The project's modules in dependency order (a module after its packages and the modules it
    imports, as far as cycles allow), and the import edges that run when a module is imported
    (module -> the project modules it imports then): a fresh import may enter a cycle of them at
    any of its modules, so a module's import can depend on which came first."""

    modules: tuple[str, ...]
    edges: Mapping[str, tuple[str, ...]]

    def arranged(self, modules: Iterable[str]) -> list[str]:
        """``modules`` in this order (any this order does not know last, as given)."""
        position = {module: index for index, module in enumerate(self.modules)}
        given = list(enumerate(modules))
        return [m for _, m in sorted(given, key=lambda g: (position.get(g[1], len(position)), g))]


class ImportGraph:
    """The import edges of every parsed file of a tree, keyed by path, and the queries on them."""

    def __init__(self, files: Mapping[str, FileImports], modules: Collection[str]) -> None:
        self.files: Mapping[str, FileImports] = files
        self.modules: frozenset[str] = frozenset(modules)  # every module under src
        self._by_module = {f.module: f for f in files.values() if f.module is not None}
        # reverse edges: module name (or path of a local file) -> paths of the files importing it
        self._importers: dict[str, set[str]] = defaultdict(set)
        for file in files.values():
            for target in (*_runs(file), *file.candidates, *file.local_files):
                self._importers[target].add(file.path)

    def affected_modules(self, changed: Collection[str]) -> set[str]:
        """Modules under src whose static import closure reaches a changed or deleted module
        (a changed module reaches itself)."""
        return {
            module
            for path in self._reaching(changed)
            if (module := self.files[path].module) is not None
        }

    def files_importing(self, changed: Collection[str]) -> set[str]:
        """Paths of every file (modules, tests, scripts) whose import closure reaches a changed or
        deleted module."""
        return self._reaching(changed)

    def external_imports(self, modules: Iterable[str]) -> tuple[str, ...]:
        """The non-project modules that importing ``modules`` runs, through their project import
        closure (sorted)."""
        seen: set[str] = set()
        todo = list(modules)
        external: set[str] = set()
        while todo:
            module = todo.pop()
            file = self._by_module.get(module)
            if module in seen or file is None:
                continue
            seen.add(module)
            external |= file.external
            todo.extend(_runs(file))
        return tuple(sorted(external))

    def import_order(self) -> ImportOrder:
        """Every module under src in dependency order, and the project imports each runs when it
        is imported (a package always runs before its modules: that is no edge)."""
        edges = {
            module: sorted(m for m in file.imports if m in self.modules and m != module)
            for module, file in self._by_module.items()
        }
        order: list[str] = []
        placed: set[str] = set()
        for start in sorted(self.modules):
            stack: list[tuple[str, Iterator[str]]] = []
            if start not in placed:
                placed.add(start)
                stack.append((start, iter(self._needs(start, edges))))
            while stack:
                module, needs = stack[-1]
                following = next((m for m in needs if m not in placed), None)
                if following is None:
                    stack.pop()
                    order.append(module)
                else:
                    placed.add(following)
                    stack.append((following, iter(self._needs(following, edges))))
        at_import = {
            module: tuple(sorted(m for m in file.at_import if m in self.modules and m != module))
            for module, file in self._by_module.items()
        }
        return ImportOrder(tuple(order), {m: e for m, e in at_import.items() if e})

    def _needs(self, module: str, edges: Mapping[str, list[str]]) -> list[str]:
        """What runs before ``module``'s own code can finish: its packages, what it imports."""
        parents = [".".join(module.split(".")[:end]) for end in range(1, module.count(".") + 1)]
        return [p for p in parents if p in self.modules] + edges.get(module, [])

    def _reaching(self, changed: Collection[str]) -> set[str]:
        reached = {self._by_module[m].path for m in changed if m in self._by_module}
        todo = list(changed)
        seen: set[str] = set()
        while todo:
            target = todo.pop()
            if target in seen:
                continue
            seen.add(target)
            for path in self._importers.get(target, ()):
                reached.add(path)
                module = self.files[path].module
                todo.append(path if module is None else module)
        return reached


def _runs(file: FileImports) -> Iterator[str]:
    """What importing ``file`` runs directly: each module it imports with its parent packages, and
    the parent packages of the file's own module."""
    names = (*file.imports, file.module) if file.module else tuple(file.imports)
    for name in names:
        parts = name.split(".")
        for end in range(1, len(parts)):
            yield ".".join(parts[:end])
        if name != file.module:
            yield name


def import_graph(codebase: Codebase) -> ImportGraph:
    """The import edges of every parsed ``.py`` file and notebook of ``codebase``.

    Within a run, a file read again with the same content (the same ``SourceFile``: the tree
    before a change and after it share all but the changed files) keeps its edges when the tree
    answers every question its edges were found with as it did then (``file_memo``)."""
    project = frozenset(m.split(".", 1)[0] for m in codebase.modules)
    known = file_memo("import edges")
    files = {}
    for file in codebase.files:
        if file.tree is None and not file.cells:
            continue
        kept = None if known is None else known.get(id(file))
        edges = kept[1] if kept is not None else None
        if edges is None or not edges.holds(codebase, project):
            edges = _file_edges(codebase, file, project)
            if known is not None:
                known[id(file)] = (file, edges)
        files[file.path] = edges.imports
    return ImportGraph(files, codebase.modules)


class _TreeLookups:
    """The two questions a file's edges ask of the tree (is this a module, is this a file),
    with every answer given, so that another tree can tell whether it would give the same."""

    def __init__(self, codebase: Codebase) -> None:
        self.codebase = codebase
        self.modules: dict[str, bool] = {}
        self.files: dict[str, bool] = {}

    def has_module(self, name: str) -> bool:
        answer = self.modules[name] = self.codebase.has_module(name)
        return answer

    def has_file(self, path: str) -> bool:
        answer = self.files[path] = self.codebase.file(path) is not None
        return answer


@dataclass(frozen=True)
class _Edges:
    """A file's edges, and what they depended on beyond the file: the tree's top-level packages
    and the answers of its ``_TreeLookups``."""

    imports: FileImports
    project: frozenset[str]
    modules: Mapping[str, bool]
    files: Mapping[str, bool]

    def holds(self, codebase: Codebase, project: frozenset[str]) -> bool:
        """Whether ``codebase`` gives these edges: the same packages, every answer the same."""
        return (
            project == self.project
            and all(codebase.has_module(m) == a for m, a in self.modules.items())
            and all((codebase.file(p) is not None) == a for p, a in self.files.items())
        )


def _file_edges(codebase: Codebase, file: SourceFile, project: frozenset[str]) -> _Edges:
    lookups = _TreeLookups(codebase)
    imports = _file_imports(lookups, file, project)
    return _Edges(imports, project, lookups.modules, lookups.files)


@dataclass
class _Collected:
    imports: set[str]
    candidates: set[str]
    local: set[str]
    external: set[str]
    at_import: set[str]


def _file_imports(
    codebase: _TreeLookups,
    file: SourceFile,
    project: frozenset[str],
) -> FileImports:
    found = _Collected(set(), set(), set(), set(), set())
    for _, tree, text in file.trees():
        for stmt, at_import in _statements(tree.body, True):
            if isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    _add(codebase, file, alias.name, None, at_import, project, found)
            elif isinstance(stmt, ast.ImportFrom) and stmt.module != "__future__":
                base = resolve_relative(file.module, file.is_package, stmt.level, stmt.module)
                if base is None:
                    continue
                names = [a.name for a in stmt.names if a.name != "*"]
                _add(codebase, file, base, names, at_import, project, found)
        if not shortcuts.enabled() or _may_import_by_name(text):
            for name in _dynamic_imports(tree, file):
                _add(codebase, file, name, None, False, project, found)
    return FileImports(
        path=file.path,
        module=file.module,
        imports=frozenset(found.imports),
        candidates=frozenset(found.candidates - found.imports),
        local_files=frozenset(found.local),
        external=frozenset(found.external),
        at_import=frozenset(found.at_import),
    )


def _add(
    codebase: _TreeLookups,
    file: SourceFile,
    name: str,
    from_names: list[str] | None,
    at_import: bool,
    project: frozenset[str],
    found: _Collected,
) -> None:
    top = name.split(".", 1)[0]
    if top in project:
        found.imports.add(name)
        for sub in from_names or ():
            full = f"{name}.{sub}"
            (found.imports if codebase.has_module(full) else found.candidates).add(full)
        if at_import:
            found.at_import.add(name)
            found.at_import.update(f"{name}.{sub}" for sub in from_names or ())
        return
    if file.module is None:
        local = _local_file(codebase, file.path, top)
        if local is not None:
            found.local.add(local)
            return
    if at_import:
        found.external.add(name)
        found.external.update(f"{name}.{sub}" for sub in from_names or ())


def _local_file(codebase: _TreeLookups, importer: str, top: str) -> str | None:
    """The file next to ``importer`` that a bare ``import top`` finds first, if any."""
    here = PurePosixPath(importer).parent
    for candidate in (here / f"{top}.py", here / top / "__init__.py"):
        if codebase.has_file(candidate.as_posix()):
            return candidate.as_posix()
    return None


@dataclass(frozen=True)
class ImportSite:
    """An import statement that imports ``module`` (a notebook's ``line`` is in its ``cell``)."""

    path: str
    line: int
    module: str
    cell: int | None = None


def imports_of(codebase: Codebase, modules: Collection[str]) -> tuple[ImportSite, ...]:
    """Every import statement of every parsed file that imports one of ``modules`` or a module
    inside one (``import m``, ``from m import x``, ``from pkg import m``, relative forms),
    wherever it sits. Whether the module still exists does not matter: this is how a deleted
    module that something still imports is found."""
    wanted = frozenset(modules)

    def hit(name: str) -> str | None:
        return next((m for m in wanted if name == m or name.startswith(m + ".")), None)

    leaves = {m.rpartition(".")[2] for m in wanted}
    sites: list[ImportSite] = []
    for file in codebase.files:
        # a relative import inside one of the modules reaches it unnamed: ``from . import x``
        filtered = shortcuts.enabled() and not reaches_unnamed(file.module, file.is_package, wanted)
        for cell, tree, text in file.trees():
            if filtered and not _shows_any(text, leaves):
                continue
            for stmt, _ in _statements(tree.body, True):
                names: list[str] = []
                if isinstance(stmt, ast.Import):
                    names = [alias.name for alias in stmt.names]
                elif isinstance(stmt, ast.ImportFrom) and stmt.module != "__future__":
                    base = resolve_relative(file.module, file.is_package, stmt.level, stmt.module)
                    if base is not None:
                        names = [base, *(f"{base}.{a.name}" for a in stmt.names if a.name != "*")]
                found = next((m for n in names if (m := hit(n)) is not None), None)
                if found is not None:
                    sites.append(ImportSite(file.path, stmt.lineno, found, cell))
    return tuple(sites)


def _shows_any(text: str, leaves: Collection[str]) -> bool:
    """Whether ``text`` can import a module whose last name is one of ``leaves``: every import
    of a module, or of one inside it, shows that name (``import a.m``, ``from a.m import x``,
    ``from a import m``, ``from . import m``, ``import a.m.sub``), as Python reads names, but
    for a relative import inside the module (see ``reaches_unnamed``)."""
    read = as_read(text)
    return any(leaf in read for leaf in leaves)


def _statements(body: list[ast.stmt], at_import: bool) -> Iterator[tuple[ast.stmt, bool]]:
    """Every statement, with whether it runs when the module is imported (not in a function body,
    not under ``if TYPE_CHECKING:``). Expressions are not entered: imports are statements."""
    for stmt in body:
        yield stmt, at_import
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            yield from _statements(stmt.body, False)
        elif isinstance(stmt, ast.If) and is_type_checking(stmt.test):
            yield from _statements(stmt.body, False)
            yield from _statements(stmt.orelse, at_import)
        elif isinstance(stmt, ast.Try | ast.TryStar):
            for block in (stmt.body, *(h.body for h in stmt.handlers), stmt.orelse):
                yield from _statements(block, at_import)
            yield from _statements(stmt.finalbody, at_import)
        elif isinstance(stmt, ast.Match):
            for case in stmt.cases:
                yield from _statements(case.body, at_import)
        else:
            for field in ("body", "orelse", "finalbody"):
                nested: object = getattr(stmt, field, None)
                if isinstance(nested, list):
                    yield from _statements(nested, at_import)


def _may_import_by_name(text: str) -> bool:
    """Whether ``text`` can call ``import_module`` or ``__import__`` (a text showing neither name,
    read as Python reads names, calls neither)."""
    read = as_read(text)
    return "import_module" in read or "__import__" in read


def _dynamic_imports(tree: ast.Module, file: SourceFile) -> Iterator[str]:
    """Modules named by string literals in ``import_module(...)`` / ``__import__(...)`` calls."""
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and dotted(node.func) in _DYNAMIC_IMPORTS):
            continue
        literal = _string_argument(node, 0, "name")
        if literal is None:
            continue
        if literal.startswith("."):
            package = _string_argument(node, 1, "package")
            level = len(literal) - len(literal.lstrip("."))
            if package is None:
                continue
            resolved = resolve_relative(package, True, level, literal[level:] or None)
            if resolved is not None:
                yield resolved
        elif literal:
            yield literal


def _string_argument(call: ast.Call, position: int, keyword: str) -> str | None:
    value: ast.expr | None = call.args[position] if len(call.args) > position else None
    for kw in call.keywords:
        if kw.arg == keyword:
            value = kw.value
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return value.value
    return None
