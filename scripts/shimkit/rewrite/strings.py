"""String literals that name a moved module (``"old"``) or a moved name (``"old.a"``)."""

from __future__ import annotations

from shimkit.domain.model import Moves


def split_literal(literal: str) -> tuple[str, str, str] | None:
    """``(prefix, quote, body)`` of a plain string literal; None for bytes/f-strings/escapes."""
    index = 0
    while index < len(literal) and literal[index] not in "'\"":
        index += 1
    prefix = literal[:index]
    if set(prefix.lower()) - {"r", "u"}:
        return None
    quote = literal[index : index + 3]
    if quote not in ('"""', "'''"):
        quote = literal[index]
    body = literal[index + len(quote) : len(literal) - len(quote)]
    if "\\" in body or len(literal) < index + 2 * len(quote):
        return None
    return prefix, quote, body


def string_target(value: str, moves: Moves) -> str | None:
    """The new value of a string whose whole value is a moved module or ``module.name``.

    A plain word is never a module path: ``"hpo"`` stays even when the top-level package ``hpo``
    moves (the analysis never counts it as a reference either)."""
    if "." not in value:
        return None
    if value in moves.modules:
        return moves.modules[value]
    module, _, name = value.rpartition(".")
    if not module or not name:
        return None
    if (module, name) in moves.names:
        return f"{moves.names[(module, name)]}.{moves.new_name(module, name)}"
    if module in moves.modules:
        return f"{moves.modules[module]}.{moves.new_name(module, name)}"
    return None


def rewrite_string_literal(literal: str, moves: Moves) -> str | None:
    """The rewritten literal (same prefix and quotes), or None when it is not to be touched."""
    parts = split_literal(literal)
    if parts is None:
        return None
    prefix, quote, body = parts
    new = string_target(body, moves)
    if new is None:
        return None
    return f"{prefix}{quote}{new}{quote}"
