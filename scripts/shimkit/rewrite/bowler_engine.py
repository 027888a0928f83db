"""The primary engine: a Bowler query over the fissix tree of one file, run in memory.

The query is built per file: ``select`` patterns for import statements, name chains, string
literals and ``try`` statements, each with a ``filter`` and a ``modify`` that records the match as
engine-neutral facts; a last ``select_root().modify(...)`` plans the edits (:mod:`.planner`) and
applies them to the fissix leaves. Bowler's fixers are post-order, so the root fixer runs after
every other match. The compiled fixers are driven by a plain fissix ``RefactoringTool`` on a tree
we parsed ourselves (``refactor_tree``): no files are read or written, nothing is printed, no
processes are started, and a parse failure is an exception we see (:class:`FissixParseFailure`),
never a logged skip.
"""

from __future__ import annotations

import functools
import itertools
import keyword
from bisect import bisect_right
from collections.abc import Callable
from typing import Any

from bowler import Query
from fissix import pygram, pytree
from fissix.pgen2 import driver, parse, token, tokenize
from fissix.refactor import RefactoringTool

from .facts import Chain, Edit, FactCollector, Facts, ImportStatement, StringToken, TryImport

Node = Any  # fissix's pytree nodes and leaves are untyped
Planner = Callable[[Facts], list[Edit]]

_KEYWORDS = frozenset(keyword.kwlist)
_GRAMMAR = pygram.python_grammar_no_print_and_exec_statement
_SYMS = pygram.python_symbols


class FissixParseFailure(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


def parse_fissix(text: str) -> Node:
    """Parse with fissix's driver; raise :class:`FissixParseFailure` on any parse error."""
    source = text if text.endswith("\n") else text + "\n"
    try:
        return driver.Driver(_GRAMMAR, convert=pytree.convert).parse_string(source)
    except parse.ParseError as error:
        return _raise(error.context[1][0], f"fissix cannot parse: {error.msg} {error.value!r}")
    except tokenize.TokenError as error:
        return _raise(error.args[1][0], f"fissix cannot tokenize: {error.args[0]}")
    except (IndentationError, SyntaxError) as error:
        return _raise(error.lineno or 1, f"fissix cannot parse: {error.msg}")


def _raise(line: int, message: str) -> Node:
    raise FissixParseFailure(line, message)


class _InMemoryTool(RefactoringTool):  # type: ignore[misc]
    """A fissix refactoring tool over already-compiled Bowler fixers; it never touches files."""

    def __init__(self, fixers: list[type]) -> None:
        self._fixer_classes = fixers
        super().__init__([], options={"print_function": True})

    def get_fixers(self) -> tuple[list[Any], list[Any]]:
        fixers = [cls(self.options, self.fixer_log) for cls in self._fixer_classes]
        return (
            [f for f in fixers if f.order == "pre"],
            [f for f in fixers if f.order == "post"],
        )


class _Collector(FactCollector):
    """Turns Bowler matches into facts; knows every leaf's offset in the original text."""

    def __init__(self, tree: Node, old_modules: frozenset[str]) -> None:
        super().__init__()
        self.spans: dict[int, tuple[int, int, int]] = {}  # id(leaf) -> (prefix, value, end)
        offset = 0
        for leaf in tree.leaves():
            value_start = offset + len(leaf.prefix)
            self.spans[id(leaf)] = (offset, value_start, value_start + len(leaf.value))
            offset = value_start + len(leaf.value)
        self.needles = tuple(sorted({m.rpartition(".")[2] for m in old_modules}))

    def start(self, node: Node) -> int:
        return self.spans[id(_first_leaf(node))][1]

    def end(self, node: Node) -> int:
        return self.spans[id(_last_leaf(node))][2]

    # filters ----------------------------------------------------------------------------------

    def is_chain_head(self, node: Node, capture: dict[str, Any], filename: str) -> bool:
        if node.value in _KEYWORDS or _inside_import(node):
            return False
        parent, before = node.parent, node.prev_sibling
        if parent.type in (_SYMS.trailer, _SYMS.dotted_name) and _is(before, token.DOT):
            return False
        return not (parent.type == _SYMS.argument and _is(node.next_sibling, token.EQUAL))

    def may_name_moved(self, node: Node, capture: dict[str, Any], filename: str) -> bool:
        """Only literals that could name a moved module (or any f-string) are of interest."""
        value: str = node.value
        head = value[: len(value) - len(value.lstrip("rRuUbBfF"))]
        return "f" in head.lower() or any(needle in value for needle in self.needles)

    def is_import_try(self, node: Node, capture: dict[str, Any], filename: str) -> bool:
        children = node.children
        return (
            len(children) == 6
            and children[3].type == _SYMS.except_clause
            and all(self._import_starts(children[i]) is not None for i in (2, 5))
        )

    # modifiers (record facts) -----------------------------------------------------------------

    def record_import(self, node: Node, capture: dict[str, Any], filename: str) -> None:
        self.imports.append(ImportStatement(self.start(node), self.end(node)))

    def record_chain(self, node: Node, capture: dict[str, Any], filename: str) -> None:
        parts, ends = [node.value], [self.spans[id(node)][2]]
        sibling = node.next_sibling
        if node.parent.type == _SYMS.dotted_name:
            while _is(sibling, token.DOT) and sibling.next_sibling is not None:
                name = sibling.next_sibling
                parts.append(name.value)
                ends.append(self.spans[id(name)][2])
                sibling = name.next_sibling
        else:
            while (
                sibling is not None
                and sibling.type == _SYMS.trailer
                and _is(sibling.children[0], token.DOT)
            ):
                name = sibling.children[1]
                parts.append(name.value)
                ends.append(self.spans[id(name)][2])
                sibling = sibling.next_sibling
        self.chains.append(Chain(tuple(parts), self.spans[id(node)][1], tuple(ends)))

    def record_string(self, node: Node, capture: dict[str, Any], filename: str) -> None:
        # implicit concatenation puts STRING leaves side by side; dict keys are siblings too,
        # but with a colon or comma between them
        concatenated = _is(node.prev_sibling, token.STRING) or _is(node.next_sibling, token.STRING)
        start, end = self.spans[id(node)][1:]
        self.strings.append(StringToken(start, end, concatenated))

    def record_try(self, node: Node, capture: dict[str, Any], filename: str) -> None:
        clause = node.children[3]
        handler_type = "".join(str(clause.children[1]).split()) if len(clause.children) > 1 else ""
        self.tries.append(
            TryImport(
                self.start(node),
                self._import_starts(node.children[2]) or (),
                handler_type,
                self._import_starts(node.children[5]) or (),
            )
        )

    def _import_starts(self, suite: Node) -> tuple[int, ...] | None:
        statements = (
            [suite]
            if suite.type == _SYMS.simple_stmt
            else [
                c
                for c in suite.children
                if c.type not in (token.NEWLINE, token.INDENT, token.DEDENT)
            ]
        )
        starts: list[int] = []
        for statement in statements:
            if statement.type != _SYMS.simple_stmt:
                return None
            for small in statement.children:
                if small.type in (token.SEMI, token.NEWLINE):
                    continue
                if small.type not in (_SYMS.import_name, _SYMS.import_from):
                    return None
                starts.append(self.start(small))
        return tuple(starts)

    # the root: plan, then apply to the tree ---------------------------------------------------

    def root_modifier(self, planner: Planner, done: list[bool]) -> Callable[..., None]:
        def rewrite_tree(node: Node, capture: dict[str, Any], filename: str) -> None:
            edits = sorted(planner(self.facts()), key=lambda e: (e.start, e.end))
            ends = [edit.end for edit in edits]  # non-overlapping: sorted as well
            for leaf in node.leaves():
                prefix_start, value_start, _ = self.spans[id(leaf)]
                new_prefix = _splice(leaf.prefix, prefix_start, edits, ends)
                new_value = _splice(leaf.value, value_start, edits, ends)
                if new_prefix != leaf.prefix or new_value != leaf.value:
                    leaf.prefix = new_prefix
                    leaf.value = new_value
                    leaf.changed()
            done.append(True)

        return rewrite_tree


def _splice(segment: str, base: int, edits: list[Edit], ends: list[int]) -> str:
    """Apply the parts of ``edits`` (sorted, with their ``ends``) that fall in
    ``[base, base + len(segment))``; only the edits that reach the segment are looked at."""
    stop = base + len(segment)
    first = bisect_right(ends, base)
    if not segment or first == len(edits) or edits[first].start >= stop:
        return segment
    out: list[str] = []
    pos = base
    for edit in edits[first:]:
        if edit.start >= stop:
            break
        cut_start = max(edit.start, base)
        out.append(segment[pos - base : cut_start - base])
        if base <= edit.start < stop:
            out.append(edit.text)
        pos = max(pos, min(edit.end, stop))
    out.append(segment[pos - base :])
    return "".join(out)


def _first_leaf(node: Node) -> Node:
    while node.children:
        node = node.children[0]
    return node


def _last_leaf(node: Node) -> Node:
    while node.children:
        node = node.children[-1]
    return node


def _is(node: Node, kind: int) -> bool:
    return node is not None and node.type == kind


def _inside_import(node: Node) -> bool:
    while node is not None:
        if node.type in (_SYMS.import_name, _SYMS.import_from):
            return True
        node = node.parent
    return False


class _Files:
    """The files being rewritten, by the name each is given to the compiled query: every callback
    is handed that name by Bowler, and acts on that file's collector (no "current file" slot).

    Compiling the query's patterns into fixers costs more than rewriting a small file, so it is
    done once per process (:func:`_engine`) and each file only registers its own collector.
    """

    def __init__(self) -> None:
        self.collectors: dict[str, _Collector] = {}
        self.roots: dict[str, Callable[..., None]] = {}
        self._names = itertools.count()

    def open(self, path: str, collector: _Collector, root: Callable[..., None]) -> str:
        name = f"{path}#{next(self._names)}"
        self.collectors[name], self.roots[name] = collector, root
        return name

    def close(self, name: str) -> None:
        del self.collectors[name], self.roots[name]

    def record_import(self, node: Node, capture: dict[str, Any], filename: str) -> None:
        self.collectors[filename].record_import(node, capture, filename)

    def is_chain_head(self, node: Node, capture: dict[str, Any], filename: str) -> bool:
        return self.collectors[filename].is_chain_head(node, capture, filename)

    def record_chain(self, node: Node, capture: dict[str, Any], filename: str) -> None:
        self.collectors[filename].record_chain(node, capture, filename)

    def may_name_moved(self, node: Node, capture: dict[str, Any], filename: str) -> bool:
        return self.collectors[filename].may_name_moved(node, capture, filename)

    def record_string(self, node: Node, capture: dict[str, Any], filename: str) -> None:
        self.collectors[filename].record_string(node, capture, filename)

    def is_import_try(self, node: Node, capture: dict[str, Any], filename: str) -> bool:
        return self.collectors[filename].is_import_try(node, capture, filename)

    def record_try(self, node: Node, capture: dict[str, Any], filename: str) -> None:
        self.collectors[filename].record_try(node, capture, filename)

    def rewrite_tree(self, node: Node, capture: dict[str, Any], filename: str) -> None:
        self.roots[filename](node, capture, filename)


@functools.cache
def _engine() -> tuple[_InMemoryTool, _Files]:
    """The Bowler query of the rewrite, compiled once, and the files it is rewriting."""
    files = _Files()
    query = (
        Query("<memory>")
        .select("import_name< any* >")
        .modify(files.record_import)
        .select("import_from< any* >")
        .modify(files.record_import)
        .select("NAME")
        .filter(files.is_chain_head)
        .modify(files.record_chain)
        .select("STRING")
        .filter(files.may_name_moved)
        .modify(files.record_string)
        .select("try_stmt< any* >")
        .filter(files.is_import_try)
        .modify(files.record_try)
        .select_root()
        .modify(files.rewrite_tree)
    )
    return _InMemoryTool(query.compile()), files


def prepare_bowler() -> None:
    """Compile the query now (a process about to fork workers: they inherit it)."""
    _engine()


def rewrite_with_bowler(text: str, path: str, old_modules: frozenset[str], planner: Planner) -> str:
    """Rewrite ``text`` with a Bowler query; raise :class:`FissixParseFailure` if fissix cannot."""
    tree = parse_fissix(text)
    tool, files = _engine()
    collector = _Collector(tree, old_modules)
    done: list[bool] = []
    name = files.open(path, collector, collector.root_modifier(planner, done))
    try:
        tool.refactor_tree(tree, name)
    finally:
        files.close(name)
    if not done:
        raise RuntimeError("the Bowler root fixer did not run")
    result = str(tree)
    return result if text.endswith("\n") else result[:-1]
