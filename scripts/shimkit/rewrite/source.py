"""``rewrite_source``: one Python file, Bowler first, LibCST when fissix cannot parse it."""

from __future__ import annotations

from dataclasses import dataclass

from shimkit.domain.model import Moves

from .bowler_engine import FissixParseFailure, rewrite_with_bowler
from .errors import RewriteError
from .facts import Edit, Facts
from .libcst_engine import LibcstParseFailure, rewrite_with_libcst
from .planner import plan_edits


@dataclass(frozen=True)
class RewriteOutcome:
    text: str
    engine: str  # "bowler", "libcst", or "" when nothing changed


def _mentions_a_move(text: str, moves: Moves) -> bool:
    """Cheap pre-check: every rewrite needs the last component of some moved module in the text."""
    return any(module.rpartition(".")[2] in text for module in moves.old_modules())


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
    if not _mentions_a_move(text, moves):
        return RewriteOutcome(text, "")

    def planner(facts: Facts) -> list[Edit]:
        return plan_edits(text, facts, moves, importer, is_package, path)

    try:
        new, engine = rewrite_with_bowler(text, path, moves.old_modules(), planner), "bowler"
    except FissixParseFailure as fissix_failure:
        try:
            new, engine = rewrite_with_libcst(text, planner), "libcst"
        except LibcstParseFailure as failure:
            raise RewriteError(
                path, failure.line, f"{failure.message} ({fissix_failure.message})"
            ) from failure
    if new == text:
        return RewriteOutcome(text, "")
    return RewriteOutcome(new, engine)


__all__ = ["RewriteOutcome", "rewrite_source"]
