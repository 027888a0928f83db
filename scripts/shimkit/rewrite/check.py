"""``check_rewrite``: does a rewritten file still parse and bind the same things?

Given the :class:`RewriteOutcome` of the rewrite, only part of the file is read: the top-level
statements the rewrite changed, every statement that shows a name those statements bind by
import (before or after) or a name an edited chain starts with, and every statement with a
relative import. A statement outside that set uses none of the names whose binding changed, so
its uses count the same before and after, and leaving it out of both sides changes no
comparison; the changed statements parse on their own, as top-level statements do.
"""

from __future__ import annotations

import ast
import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from shimkit.domain import shortcuts
from shimkit.domain.imports import resolve_relative

from .bowler_engine import FissixParseFailure, parse_fissix
from .facts import Edit, apply_edits, indent_at
from .libcst_engine import LibcstParseFailure, parse_libcst
from .regions import Regions, chunks_with, merged
from .source import RewriteOutcome

T = TypeVar("T", bound=Hashable)

_RELATIVE_IMPORT = re.compile(r"\bfrom\s*\.")
_STRING_START = re.compile(r"[rRuUbBfF]{0,2}['\"]")
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")


@dataclass(frozen=True)
class Repointed:
    """``from old import name [as local]`` became ``from new import name [as local]``: the same
    statement with only its module changed, so every use of ``local`` the file makes reaches
    ``new.name`` where it reached ``old.name``. The two must be the same thing."""

    local: str
    old: str
    name: str
    new: str


@dataclass(frozen=True)
class CheckTexts:
    """What the check parses: the same statements before (``old``) and after (``new``) the
    rewrite, and the rewritten statements alone (``changed``); and the imports the rewrite only
    repointed, whose uses elsewhere are not read (:func:`repointing_problems` checks them)."""

    old: str
    new: str
    changed: str
    # (first line in ``new``, first line in the whole new text) per segment, for messages
    lines: tuple[tuple[int, int], ...] = ((1, 1),)
    repointed: tuple[Repointed, ...] = ()

    def line(self, line: int) -> int:
        """The line of the whole new text that is ``line`` of ``new``."""
        reduced, whole = next(pair for pair in reversed(self.lines) if pair[0] <= line)
        return whole + line - reduced


def check_texts(
    old_text: str,
    new_text: str,
    outcome: RewriteOutcome | None = None,
    importer: str | None = None,
    is_package: bool = False,
    repoint: bool = False,
) -> CheckTexts:
    """The parts of ``old_text``/``new_text`` the check must read (all of them without an
    ``outcome`` that says where the rewrite changed them). With ``repoint``, the uses of names
    whose import only changed module are not read: the caller compares what the two modules
    give instead (``CheckTexts.repointed``, :func:`repointing_problems`)."""
    if outcome is None or len(outcome.starts) <= 1 or not outcome.edits or not shortcuts.enabled():
        return CheckTexts(old_text, new_text, new_text)
    starts, edits = outcome.starts, list(outcome.edits)
    if len(new_text) != len(old_text) + sum(
        _growth(edit) for edit in edits
    ):  # not this outcome's text: read it all
        return CheckTexts(old_text, new_text, new_text)
    edited = {_chunk(starts, edit.start) for edit in edits}
    changed_old = Regions.of(old_text, merged(old_text, starts, edited))
    changed = _rewritten(changed_old, edits, new_text)[0]
    repointed, rebound = (
        _repointed(old_text, edits, outcome.imports, importer, is_package)
        if repoint
        else ([], set())
    )
    locals_ = {r.local for r in repointed} - rebound
    names = (_import_locals(changed_old.reduced) | _import_locals(changed)) - locals_
    names |= _chain_roots(old_text, edits, outcome.imports)
    chosen = edited | chunks_with(old_text, starts, _RELATIVE_IMPORT)
    if names:
        words = "|".join(sorted(re.escape(name) for name in names))
        chosen |= chunks_with(old_text, starts, re.compile(rf"(?<![\w.])(?:{words})(?!\w)"))
    regions = Regions.of(old_text, merged(old_text, starts, chosen))
    new, lines = _rewritten(regions, edits, new_text)
    kept = tuple(r for r in repointed if r.local in locals_)
    return CheckTexts(regions.reduced, new, changed, lines, kept)


_MODULE_PATH = re.compile(r"\.*[A-Za-z_][\w.]*|\.+")


def _repointed(
    text: str,
    edits: Sequence[Edit],
    imports: Sequence[tuple[int, int]],
    importer: str | None,
    is_package: bool,
) -> tuple[list[Repointed], set[str]]:
    """The from-imports whose only edit is their module path, and the locals that any other
    edited import statement binds (before or after)."""
    by_statement: dict[tuple[int, int], list[Edit]] = {}
    for edit in edits:
        span = next((s for s in imports if s[0] <= edit.start and edit.end <= s[1]), None)
        if span is not None:
            by_statement.setdefault(span, []).append(edit)
    repointed: list[Repointed] = []
    rebound: set[str] = set()
    for (start, end), inside in by_statement.items():
        statement = text[start:end]
        found = _module_only(statement, inside[0], start) if len(inside) == 1 else None
        if found is None:
            changed = apply_edits(statement, [_shifted(e, start) for e in inside])
            indent = indent_at(text, start)
            for version in (statement, changed):
                rebound |= _import_locals(f"if 1:\n{indent}{version}" if indent else version)
            continue
        node, new_path = found
        old = resolve_relative(importer, is_package, node.level, node.module)
        dots = len(new_path) - len(new_path.lstrip("."))
        new = resolve_relative(importer, is_package, dots, new_path[dots:] or None)
        if old is None or new is None:
            rebound |= {alias.asname or alias.name for alias in node.names}
            continue
        repointed += [Repointed(a.asname or a.name, old, a.name, new) for a in node.names]
    return repointed, rebound


def _module_only(statement: str, edit: Edit, start: int) -> tuple[ast.ImportFrom, str] | None:
    """The statement's ``ast`` and new module path, if ``edit`` replaces exactly its module."""
    try:
        node = ast.parse(statement).body[0]
    except (SyntaxError, ValueError, IndexError):
        return None
    if not isinstance(node, ast.ImportFrom) or any(a.name == "*" for a in node.names):
        return None
    old_path = "." * node.level + (node.module or "")
    replaced = statement[edit.start - start : edit.end - start]
    if replaced != old_path or not _MODULE_PATH.fullmatch(edit.text):
        return None
    if not re.fullmatch(r"\s*from\s+", statement[: edit.start - start]):
        return None
    return node, edit.text


def _shifted(edit: Edit, by: int) -> Edit:
    return Edit(edit.start - by, edit.end - by, edit.text)


def repointing_problems(
    repointed: Iterable[Repointed], resolve: Callable[[str, str], object]
) -> list[str]:
    """A repointed import must reach the very definition it reached before."""
    return [
        f"{r.local}: {r.old}.{r.name} is {before!r} before the rewrite, "
        f"{r.new}.{r.name} is {after!r} after"
        for r in repointed
        if (before := resolve(r.old, r.name)) != (after := resolve(r.new, r.name))
    ]


def _chunk(starts: Sequence[int], offset: int) -> int:
    return bisect_right(starts, offset) - 1


def _import_locals(text: str) -> set[str]:
    """Names bound by the import statements of ``text`` (nothing if it does not parse: the
    parse check reports that)."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return set()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.asname or alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.update(alias.asname or alias.name for alias in node.names)
    return names


def _chain_roots(text: str, edits: Iterable[Edit], imports: Sequence[tuple[int, int]]) -> set[str]:
    """The first name of each edited chain (``x.a`` -> ``a``: ``x`` and ``a``)."""
    roots: set[str] = set()
    for edit in edits:
        if any(start <= edit.start and edit.end <= end for start, end in imports):
            continue
        old = text[edit.start : edit.end]
        if _STRING_START.match(old):
            continue
        for piece in (old, edit.text):
            match = _IDENTIFIER.match(piece)
            if match:
                roots.add(match.group())
    return roots


def _rewritten(
    regions: Regions, edits: Sequence[Edit], new_text: str
) -> tuple[str, tuple[tuple[int, int], ...]]:
    """The segments of ``regions`` as they are in ``new_text`` (each moved and grown by the
    ``edits`` before and in it), joined; and (first line in the join, first line in
    ``new_text``) for each."""
    pieces: list[str] = []
    lines: list[tuple[int, int]] = []
    reduced_line, whole_line, old_position, new_position, growth = 1, 1, 0, 0, 0
    for start, end in regions.segments:
        growth += sum(_growth(e) for e in edits if old_position <= e.start < start)
        whole_start = start + growth
        whole_line += new_text.count("\n", new_position, whole_start)
        lines.append((reduced_line, whole_line))
        growth += sum(_growth(e) for e in edits if start <= e.start < end)
        piece = new_text[whole_start : end + growth]
        pieces.append(piece)
        reduced_line += piece.count("\n")
        whole_line += piece.count("\n")
        old_position, new_position = end, end + growth
    return "".join(pieces), tuple(lines)


def _growth(edit: Edit) -> int:
    return len(edit.text) - (edit.end - edit.start)


def _relative_problems(
    before: ast.Module, after: ast.Module, importer: str | None, is_package: bool, texts: CheckTexts
) -> list[str]:
    """Relative imports of the result that do not resolve from the importer, and did not
    already before the rewrite (a test package outside the import root has such imports, which
    the rewrite leaves alone: they import the same thing after it as before)."""
    already = Counter(_key(node) for node in _unresolved(before, importer, is_package))
    problems: list[str] = []
    for node in _unresolved(after, importer, is_package):
        key = _key(node)
        if already[key]:
            already[key] -= 1
            continue
        problems.append(
            f"line {texts.line(node.lineno)}: relative import that does not resolve from "
            + (importer or "outside the import root")
        )
    return problems


def _key(node: ast.ImportFrom) -> tuple[int, str | None, tuple[str, ...]]:
    return node.level, node.module, tuple(a.name for a in node.names)


def _unresolved(tree: ast.Module, importer: str | None, is_package: bool) -> list[ast.ImportFrom]:
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        and node.level
        and resolve_relative(importer, is_package, node.level, node.module) is None
    ]


def parse_problems(
    texts: CheckTexts, importer: str | None, is_package: bool
) -> tuple[list[str], ast.Module | None, ast.Module | None]:
    """Problems of parsing the result, and the ``ast`` of both sides to compare (None, None when
    the old text does not parse with this Python's ``ast``, or the new one does not parse)."""
    problems: list[str] = []
    try:
        parse_fissix(texts.changed)
    except FissixParseFailure:
        try:
            parse_libcst(texts.changed)
        except LibcstParseFailure as failure:
            problems.append(f"neither fissix nor LibCST can parse the result: {failure}")
    try:
        before = ast.parse(texts.old)
    except SyntaxError:
        return problems, None, None
    try:
        after = ast.parse(texts.new)
    except SyntaxError as error:
        line = texts.line(error.lineno or 1)
        return [*problems, f"the result does not parse: line {line}: {error.msg}"], None, None
    return problems + _relative_problems(before, after, importer, is_package, texts), before, after


def compare_uses(before: Counter[T], after: Counter[T]) -> list[str]:
    """One problem per thing used a different number of times after the rewrite."""
    return [
        f"{key!r}: {before[key]} before the rewrite, {after[key]} after"
        for key in sorted(set(before) | set(after), key=repr)
        if before[key] != after[key]
    ]


def check_rewrite(
    old_text: str,
    new_text: str,
    importer: str | None,
    is_package: bool,
    uses: Callable[[ast.Module], Counter[T]],
    outcome: RewriteOutcome | None = None,
) -> list[str]:
    """Human-readable problems with a rewrite (empty: fine).

    ``uses`` (the analysis layer's ``bound_uses``, closed over importer and resolver) maps the
    ``ast`` of a text to counts of what it uses; the rewrite must leave the counts unchanged.
    ``new_text`` must parse with ``ast`` and with fissix or LibCST, and its relative imports must
    resolve from ``importer``. When ``old_text`` does not parse with this Python's ``ast`` (newer
    syntax), only the parser checks are made. With the ``outcome`` of the rewrite, only the
    statements that can differ are read (see the module's docstring).
    """
    texts = check_texts(old_text, new_text, outcome, importer, is_package)
    problems, before, after = parse_problems(texts, importer, is_package)
    if before is None or after is None:
        return problems
    return problems + compare_uses(uses(before), uses(after))
