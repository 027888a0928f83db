"""``rewrite_source``: one Python file, Bowler first, LibCST when fissix cannot parse it.

Only the top-level statements that can take part in a rewrite are given to the engines
(:mod:`.regions`); the outcome keeps what the post-rewrite check needs to look only there too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from shimkit.domain import shortcuts
from shimkit.domain.imports import RELATIVE_IMPORT, as_read, reaches_unnamed
from shimkit.domain.model import Engine, Moves

from .bowler_engine import FissixParseFailure, rewrite_with_bowler
from .errors import RewriteError
from .facts import Edit, Facts, apply_edits
from .libcst_engine import LibcstParseFailure, rewrite_with_libcst
from .planner import plan_edits
from .regions import engine_regions, holds_code, statement_starts
from .spelling import ReadForm, read_form


@dataclass(frozen=True)
class RewriteOutcome:
    text: str
    engine: Engine | None  # None when nothing changed
    edits: tuple[Edit, ...] = ()  # what changed, in offsets of the original text
    starts: tuple[int, ...] = (0,)  # where the original's top-level statements start
    imports: tuple[tuple[int, int], ...] = field(default=(), repr=False)  # import statements

    @property
    def changed(self) -> bool:
        return self.engine is not None


def _mentions_a_move(text: str, moves: Moves, unnamed: bool) -> bool:
    """Cheap pre-check: every rewrite needs the last component of some moved module in the text
    as Python reads it, or (``unnamed``: a moved package holds the file) a relative import,
    ``from .. import x``."""
    if unnamed and RELATIVE_IMPORT.search(text):
        return True
    read = as_read(text)
    return any(module.rpartition(".")[2] in read for module in moves.old_modules())


def rewrite_source(
    text: str,
    path: str,
    moves: Moves,
    importer: str | None,
    is_package: bool,
) -> RewriteOutcome:
    """Rewrite the imports, attribute uses and strings of ``text`` that reach moved names.

    Raises :class:`RewriteError` when the file cannot be parsed by fissix nor LibCST, or when a
    reference cannot be rewritten under the conventions (a name clash, an ambiguous module use).
    """
    unnamed = reaches_unnamed(importer, is_package, moves.old_modules())
    if shortcuts.enabled() and not _mentions_a_move(text, moves, unnamed):
        return RewriteOutcome(text, None)
    form = read_form(text)
    if form is not None:
        return _through_read_form(
            form, lambda read: _rewritten(read, path, moves, importer, is_package, unnamed)
        )
    return _rewritten(text, path, moves, importer, is_package, unnamed)


def _through_read_form(form: ReadForm, rewrite: Callable[[str], RewriteOutcome]) -> RewriteOutcome:
    """The rewrite of a text that spells names otherwise than Python reads them: planned on the
    read form (where the engines see the names Python sees), applied to the text as written."""
    outcome = rewrite(form.read)
    if not outcome.changed:
        return RewriteOutcome(form.written, None)
    edits = tuple(form.edit_to_written(edit) for edit in outcome.edits)
    imports = tuple(
        (form.to_written(start), form.to_written(end)) for start, end in outcome.imports
    )
    return RewriteOutcome(
        apply_edits(form.written, edits),
        outcome.engine,
        edits,
        form.offsets_to_written(outcome.starts),
        imports,
    )


def _rewritten(
    text: str,
    path: str,
    moves: Moves,
    importer: str | None,
    is_package: bool,
    unnamed: bool,
) -> RewriteOutcome:
    starts = statement_starts(text) if shortcuts.enabled() else (0,)
    old = moves.old_modules()
    parents = {m.rpartition(".")[0] for m in old} - {""}
    regions = engine_regions(text, starts, {m.rpartition(".")[2] for m in old}, unnamed, parents)
    planned: list[Edit] = []
    imports: list[tuple[int, int]] = []

    def planner(facts: Facts) -> list[Edit]:
        whole = regions.facts_to_original(facts)
        planned[:] = plan_edits(text, whole, moves, importer, is_package, path)
        imports[:] = [(statement.start, statement.end) for statement in whole.imports]
        return regions.edits_to_reduced(planned)

    reduced = regions.reduced
    if not holds_code(reduced):
        # a mention in comments only: nothing an engine could rewrite (fissix runs no fixer on
        # a tree without a statement)
        return RewriteOutcome(text, None)
    try:
        new = rewrite_with_bowler(reduced, path, moves.old_modules(), planner)
        engine = Engine.BOWLER
    except FissixParseFailure as fissix_failure:
        try:
            new, engine = rewrite_with_libcst(reduced, planner), Engine.LIBCST
        except LibcstParseFailure as failure:
            line = regions.text.count("\n", 0, regions.to_original(_offset(reduced, failure.line)))
            raise RewriteError(
                path, line + 1, f"{failure.message} ({fissix_failure.message})"
            ) from failure
    if new == reduced:
        return RewriteOutcome(text, None)
    return RewriteOutcome(
        regions.expand(new, planned), engine, tuple(planned), starts, tuple(imports)
    )


def _offset(text: str, line: int) -> int:
    """Offset of the start of 1-based ``line`` of ``text``."""
    offset = 0
    for _ in range(line - 1):
        found = text.find("\n", offset)
        if found < 0:
            break
        offset = found + 1
    return offset


__all__ = ["RewriteOutcome", "rewrite_source"]
