"""Find every place that reaches a shim module: imports of all forms, attribute uses, strings."""

from __future__ import annotations

import ast
import re
from bisect import bisect_left
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, replace

from shimkit.domain import shortcuts
from shimkit.domain.doctest_examples import docstrings_with_examples, examples
from shimkit.domain.errors import doing
from shimkit.domain.imports import RELATIVE_IMPORT, as_read, reaches_unnamed
from shimkit.domain.model import Area, Context, Reference, ReferenceKind
from shimkit.domain.string_references import string_reference

from .astwalk import FunctionNode, Site, line_span, walk
from .codebase import Codebase, SourceFile
from .modules import dotted, resolve_relative
from .namespace import ModuleIndex
from .parse_memo import file_memo
from .scopes import foreign_positions

# calls whose (object, "name") arguments use attribute ``name`` of the object
_ATTRIBUTE_CALLS = frozenset({"object", "setattr", "getattr", "hasattr", "delattr"})
# what makes a test function a test *about* a shim (its deprecation warning, its file)
_MARKERS = frozenset(
    {
        "DeprecationWarning",
        "PendingDeprecationWarning",
        "warns",
        "deprecated_call",
        "catch_warnings",
        "__file__",
        "recwarn",
    }
)
_MODULE_KINDS = frozenset({ReferenceKind.MODULE_IMPORT, ReferenceKind.SUBMODULE_FROM_IMPORT})
_IMPORT_KINDS = frozenset(
    {ReferenceKind.FROM_IMPORT, ReferenceKind.RELATIVE_FROM_IMPORT, *_MODULE_KINDS}
)


def find_references(
    codebase: Codebase,
    shim_modules: Collection[str],
    index: ModuleIndex | None = None,
    names_before: Mapping[str, Collection[str]] | None = None,
) -> tuple[Reference, ...]:
    """Every reference to a module of ``shim_modules`` in every scanned file (and notebook cell),
    sorted by path, cell, line, column. Modules no longer in the tree are still searched for:
    a string ``"module.name"`` names one when ``names_before`` (what such modules bound before
    they went) holds ``name``, or, for a module nothing is known of, whatever ``name`` is."""
    shims = frozenset(shim_modules)
    if not shims:
        return ()
    index = index or ModuleIndex(codebase)
    before = names_before or {}
    exports = {
        s: (
            index.string_names(s)
            if codebase.has_module(s)
            else frozenset(before[s])
            if s in before
            else None
        )
        for s in sorted(shims)
    }
    out: list[Reference] = []
    leaves = frozenset(s.rpartition(".")[2] for s in shims)
    # what a file's references depend on beyond the file: the modules, what each one binds, and
    # the tree's modules, whose answers ``_TreeLookups`` keeps with them
    known = file_memo(("references", shims, tuple(sorted(exports.items()))))
    for source in codebase.files:
        unnamed = reaches_unnamed(source.module, source.is_package, shims)
        if shortcuts.enabled() and not _may_name(source.text, leaves, unnamed):
            continue
        kept = None if known is None else known.get(id(source))
        if kept is not None and kept[1].holds(codebase):
            out.extend(kept[1].references)
            continue
        lookups = _TreeLookups(codebase)
        found: list[Reference] = []
        for cell, tree, text in source.trees():
            with doing("finding references", source.path, cell):
                finder = _Finder(lookups, source, cell, tree, text, shims, exports, unnamed)
                found.extend(finder.run())
        if known is not None:
            known[id(source)] = (source, _Found(tuple(found), lookups.asked))
        out.extend(found)
    out.sort(key=lambda r: (r.path, -1 if r.cell is None else r.cell, r.line, r.column, r.shim))
    return tuple(out)


class _TreeLookups:
    """The one question a file's search asks of the tree (whether a module is in it), with
    every answer given, so that a later run of the same search on another tree can tell
    whether it would find the same."""

    def __init__(self, codebase: Codebase) -> None:
        self.codebase = codebase
        self.asked: dict[str, bool] = {}

    def in_tree(self, name: str) -> bool:
        answer = self.codebase.in_tree(name)
        self.asked[name] = answer
        return answer


@dataclass(frozen=True)
class _Found:
    """A file's references, and what the tree answered while they were found."""

    references: tuple[Reference, ...]
    asked: Mapping[str, bool]

    def holds(self, codebase: Codebase) -> bool:
        """Whether ``codebase`` gives every answer the search was given."""
        return all(codebase.in_tree(name) == answer for name, answer in self.asked.items())


# an escape in a string literal can spell a module name that the text does not show
_LETTER_ESCAPE = re.compile(r"\\[xuUN0-7]")


def _hit_lines(
    text: str, shims: frozenset[str], unnamed: bool = False, chained: bool = False
) -> list[int] | None:
    """The lines (1-based, sorted) that show the last component of a module or an escape (or,
    ``unnamed``, a relative import); None when lines cannot be counted as ``ast`` counts them (a
    lone carriage return). Names are looked for as Python reads them (``as_read``). ``chained``
    (the modules have packages above them): where any line shows one, every line that shows the
    word ``import`` too, since ``import a.other`` anywhere in the file (a function's own) binds
    ``a``, whose chain ``a.b.name`` reaches the module from elsewhere, and every import
    statement shows that word on a line of its own span."""
    if text.count("\r") != text.count("\r\n"):
        return None
    text = as_read(text)
    leaves = sorted({s.rpartition(".")[2] for s in shims})
    others = [_LETTER_ESCAPE.pattern, *([RELATIVE_IMPORT.pattern] if unnamed else [])]
    if all(leaf.isidentifier() for leaf in leaves):
        # no match of one overlaps a match of another on another line, so each is looked for
        # alone: the same lines as one pattern of them all
        found = (m.start() for pattern in others for m in re.finditer(pattern, text))
        starts = [*_line_firsts(text, leaves), *found]
    else:
        shown = "|".join([*map(re.escape, leaves), *others])
        starts = [m.start() for m in re.finditer(shown, text)]
    if chained and starts:
        starts.extend(_line_firsts(text, ["import"]))
    lines: list[int] = []
    line, counted = 1, 0
    for start in sorted(starts):
        line += text.count("\n", counted, start)
        counted = start
        if not lines or lines[-1] != line:
            lines.append(line)
    return lines


def _line_firsts(text: str, names: list[str]) -> Iterator[int]:
    """The offset of the first occurrence of each name as a word (not inside an identifier) on
    each line that shows it. A module is named by its dotted path as a word: ``core`` of
    ``sympy.core`` never sits inside ``score`` or ``core_x`` where it is imported or named in a
    string (an escape in a string is found apart). ``str.find`` per name, not one alternation
    of them all, which ``re`` tries name by name at every character (sympy: 79 names, 6 s)."""
    for name in names:
        at = text.find(name)
        while at != -1:
            after = at + len(name)
            if _in_word(text, at - 1) or _in_word(text, after):
                at = text.find(name, at + 1)
                continue
            yield at
            end = text.find("\n", after)
            at = -1 if end == -1 else text.find(name, end)


def _in_word(text: str, at: int) -> bool:
    """Whether the character at ``at`` (if any) can continue an identifier."""
    return 0 <= at < len(text) and (text[at].isalnum() or text[at] == "_")


def _may_name(text: str, leaves: frozenset[str], unnamed: bool = False) -> bool:
    """Whether ``text`` can reach one of the modules at all: every import and every string naming
    one shows its last component, but for a relative import inside the module's package
    (``unnamed``: ``from .. import x``), so a file without any is skipped without walking it.
    Names are looked for as Python reads them (``as_read``)."""
    read = as_read(text)
    return (
        any(leaf in read for leaf in leaves)
        or _LETTER_ESCAPE.search(text) is not None
        or (unnamed and RELATIVE_IMPORT.search(text) is not None)
    )


class _Finder:
    def __init__(
        self,
        codebase: _TreeLookups,
        source: SourceFile,
        cell: int | None,
        tree: ast.Module,
        text: str,
        shims: frozenset[str],
        exports: dict[str, frozenset[str] | None],
        unnamed: bool = False,
    ) -> None:
        self.codebase = codebase
        self.source = source
        self.cell = cell
        self.tree = tree
        self.lines = text.splitlines()
        self.shims = shims
        self.exports = exports
        self._attrs: _AttributeUses | None = None
        self._foreign: dict[str, frozenset[tuple[int, int]]] = {}
        self._markers: dict[int, bool] = {}
        self.pruning = shortcuts.enabled()  # read once: the walk asks for every node
        self.has_examples = ">>>" in text
        # packages above a module looked for: ``import a`` reaches ``a.b`` as ``a.b.name``
        self.parents = frozenset(
            ".".join(parts[:size])
            for shim in shims
            for parts in [shim.split(".")]
            for size in range(1, len(parts))
        )
        self.hits = _hit_lines(text, shims, unnamed, chained=bool(self.parents))

    @property
    def attrs(self) -> _AttributeUses:
        if self._attrs is None:  # a walk of the whole tree: only for module imports of a shim
            self._attrs = _attribute_uses(self.tree)
        return self._attrs

    def attributes_of(self, chain: str) -> set[str]:
        """The attributes taken from ``chain`` where it is the import, not a parameter or local
        of the same name (``scopes``)."""
        found = self.attrs.by_chain.get(chain, {})
        head = chain.partition(".")[0]
        if head not in self.attrs.rebound:  # bound by its imports only: every use is one
            return set(found)
        if head not in self._foreign:
            self._foreign[head] = foreign_positions(self.tree, {head})
        foreign = self._foreign[head]
        return {attr for attr, roots in found.items() if any(r not in foreign for r in roots)}

    def _may_hold(self, node: ast.AST) -> bool:
        """A node spanning no line that shows a module (or an escape) holds no reference."""
        if self.parents and isinstance(node, ast.Import | ast.ImportFrom):
            return True  # ``import a`` shows no module of ``a.b.name``: its chains do
        if self.hits is None or not self.pruning:
            return True
        span = line_span(node)
        if span is None:
            return True
        first, last = span
        index = bisect_left(self.hits, first)
        return index < len(self.hits) and self.hits[index] <= last

    def run(self) -> list[Reference]:
        out = self._walk()
        for docstring in docstrings_with_examples(self.tree) if self.has_examples else ():
            if self._may_hold(docstring):
                out.extend(self._in_examples(docstring))
        return out

    def _in_examples(self, docstring: ast.Constant) -> list[Reference]:
        """References in the code examples of a docstring that parse (the rewrite lists the
        others), at their lines in the file. The examples run in one namespace, so they are
        read together, as the rewrite reads them."""
        leaves = {s.rpartition(".")[2] for s in self.shims}
        codes: list[str] = []
        lines: list[int] = []  # the file line of each line of the joined code
        for example in examples(str(docstring.value)):
            if not any(leaf in example.code for leaf in leaves):
                continue
            try:
                ast.parse(example.code)
            except (SyntaxError, ValueError):
                continue
            codes.append(example.code)
            first = docstring.lineno + example.first_line
            lines.extend(range(first, first + example.code.count("\n")))
        if not codes:
            return []
        joined = "".join(codes)
        finder = _Finder(
            self.codebase,
            self.source,
            self.cell,
            ast.parse(joined),
            joined,
            self.shims,
            self.exports,
        )
        return [
            replace(
                reference,
                line=lines[reference.line - 1],
                contexts=reference.contexts | {Context.DOCSTRING},
            )
            for reference in finder._walk()
        ]

    def _walk(self) -> list[Reference]:
        out: list[Reference] = []
        for node, site in walk(self.tree, enter=self._may_hold):
            if isinstance(node, ast.ImportFrom):
                out.extend(self._from_import(node, site))
            elif isinstance(node, ast.Import):
                out.extend(self._import(node, site))
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                hit = self._string_target(node.value)
                if hit is not None:
                    out.append(self._ref(node, ReferenceKind.STRING, hit[0], hit[1], site))
        return out

    # -- forms ------------------------------------------------------------------------------

    def _from_import(self, node: ast.ImportFrom, site: Site) -> list[Reference]:
        src = self.source
        target = resolve_relative(src.module, src.is_package, node.level, node.module)
        if target is None:
            return []
        out: list[Reference] = []
        if target in self.shims:
            names = tuple(
                a.name for a in node.names if not self.codebase.in_tree(f"{target}.{a.name}")
            )
            if names:
                kind = (
                    ReferenceKind.RELATIVE_FROM_IMPORT if node.level else ReferenceKind.FROM_IMPORT
                )
                out.append(self._ref(node, kind, target, names, site))
        for a in node.names:
            sub = f"{target}.{a.name}"
            if sub in self.shims:
                used = self._used(a.asname or a.name, sub)
                out.append(self._ref(node, ReferenceKind.SUBMODULE_FROM_IMPORT, sub, used, site))
            if sub in self.parents:
                kind = ReferenceKind.SUBMODULE_FROM_IMPORT
                out.extend(self._chains(node, site, kind, a.asname or a.name, sub, ""))
        return out

    def _chains(
        self, node: ast.stmt, site: Site, kind: ReferenceKind, local: str, package: str, skip: str
    ) -> list[Reference]:
        """References to modules below ``package``, bound to ``local``, reached by attribute
        chains (``import a`` ... ``a.b.name``): one per module reached (``skip``: the module the
        import itself names, found already)."""
        out: list[Reference] = []
        for shim in sorted(self.shims):
            if shim == skip or not shim.startswith(package + "."):
                continue
            chain = local + shim[len(package) :]
            if chain not in self.attrs.by_chain or not self.attributes_of(chain):
                continue
            used = self._used(chain, shim)
            out.append(self._ref(node, kind, shim, used, site))
        return out

    def _import(self, node: ast.Import, site: Site) -> list[Reference]:
        out: list[Reference] = []
        for a in node.names:
            if a.name in self.shims:
                used = self._used(a.asname or a.name, a.name)
                out.append(self._ref(node, ReferenceKind.MODULE_IMPORT, a.name, used, site))
            bound = a.name if a.asname else a.name.split(".")[0]
            if bound in self.parents:
                local = a.asname or bound
                kind = ReferenceKind.MODULE_IMPORT
                out.extend(self._chains(node, site, kind, local, bound, a.name))
        return out

    def _used(self, local: str, module: str) -> tuple[str, ...]:
        return tuple(
            sorted(
                n for n in self.attributes_of(local) if not self.codebase.in_tree(f"{module}.{n}")
            )
        )

    def _string_target(self, value: str) -> tuple[str, tuple[str, ...]] | None:
        found = string_reference(value, self.shims.__contains__, self._binds)
        if found is None:
            return None
        module, name = found
        return module, (name,) if name else ()

    def _binds(self, module: str, name: str) -> bool:
        exported = self.exports.get(module)
        return exported is None or name in exported

    # -- the record ---------------------------------------------------------------------------

    def _ref(
        self,
        node: ast.stmt | ast.expr,
        kind: ReferenceKind,
        shim: str,
        names: tuple[str, ...],
        site: Site,
    ) -> Reference:
        contexts: set[Context] = set()
        if site.function_local:
            contexts.add(Context.FUNCTION_LOCAL)
        if site.type_checking:
            contexts.add(Context.TYPE_CHECKING)
        if site.guarded:
            contexts.add(Context.TRY_EXCEPT_IMPORT_ERROR)
        if self.source.is_package:
            contexts.add(Context.PACKAGE_INIT)
        line = node.lineno
        text = self.lines[line - 1].strip() if 0 < line <= len(self.lines) else ""
        exercises = self._exercises(kind, names, site)
        test = ""
        if exercises and site.test_function is not None:
            test = "::".join(p for p in (site.test_class, site.test_function.name) if p)
        return Reference(
            path=self.source.path,
            line=line,
            column=node.col_offset,
            kind=ReferenceKind.NOTEBOOK if self.cell is not None else kind,
            shim=shim,
            names=names,
            area=self.source.area,
            contexts=frozenset(contexts),
            importer=self.source.module,
            text=text,
            exercises_shim=exercises,
            test=test,
            cell=self.cell,
        )

    def _exercises(self, kind: ReferenceKind, names: tuple[str, ...], site: Site) -> bool:
        fn = site.test_function
        if self.source.area is not Area.TESTS or fn is None:
            return False
        if site.warns_block and kind in _IMPORT_KINDS:
            return True  # imported inside ``with pytest.warns(...)``: the import is the test
        as_module = kind in _MODULE_KINDS or (kind is ReferenceKind.STRING and not names)
        return as_module and self._has_markers(fn)

    def _has_markers(self, fn: FunctionNode) -> bool:
        key = id(fn)
        if key not in self._markers:
            found = any(
                (isinstance(n, ast.Name) and n.id in _MARKERS)
                or (isinstance(n, ast.Attribute) and n.attr in _MARKERS)
                or (isinstance(n, ast.arg) and n.arg in _MARKERS)
                for n in ast.walk(fn)
            )
            self._markers[key] = found
        return self._markers[key]


@dataclass(frozen=True)
class _AttributeUses:
    """``by_chain``: ``{"x": {"a": [where x is], ...}, "a.b.m": {...}}``, the attributes taken
    from each dotted expression, with the positions of its root name, including
    ``patch.object(x, "a")``, ``getattr(x, "a")``, ``monkeypatch.setattr(x, "a", v)``;
    ``rebound``: the names the file also binds otherwise than by an import (a parameter, an
    assignment, a ``def``...), whose uses need the scopes to tell which binding they reach."""

    by_chain: dict[str, dict[str, list[tuple[int, int]]]]
    rebound: frozenset[str]


_BINDS_BY_NAME = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.ExceptHandler,
    ast.MatchAs,
    ast.MatchStar,
)


def _attribute_uses(tree: ast.Module) -> _AttributeUses:
    uses: dict[str, dict[str, list[tuple[int, int]]]] = {}
    rebound: set[str] = set()

    def add(base: str, attr: str, node: ast.expr) -> None:
        while isinstance(node, ast.Attribute):
            node = node.value
        uses.setdefault(base, {}).setdefault(attr, []).append((node.lineno, node.col_offset))

    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            rebound.add(node.id)
        elif isinstance(node, ast.arg):
            rebound.add(node.arg)
        elif isinstance(node, _BINDS_BY_NAME) and node.name:
            rebound.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            rebound.add(node.rest)
        elif isinstance(node, ast.Attribute):
            base = dotted(node.value)
            if base is not None:
                add(base, node.attr, node.value)
        elif isinstance(node, ast.Call) and len(node.args) >= 2:
            func = dotted(node.func)
            name = node.args[1]
            if (
                func is not None
                and func.rpartition(".")[2] in _ATTRIBUTE_CALLS
                and isinstance(name, ast.Constant)
                and isinstance(name.value, str)
                and name.value.isidentifier()
            ):
                base = dotted(node.args[0])
                if base is not None:
                    add(base, name.value, node.args[0])
    return _AttributeUses(uses, frozenset(rebound))
