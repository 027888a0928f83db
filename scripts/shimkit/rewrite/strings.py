"""String literals that name a moved module (``"old"``) or a moved name (``"old.a"``)."""

from __future__ import annotations

from shimkit.domain.model import Moves
from shimkit.domain.string_references import string_reference


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
    """The new value of a string that names a moved module or one of its moved names
    (:func:`shimkit.domain.string_references.string_reference`), where it has one."""
    moving = moves.old_modules()
    found = string_reference(value, moving.__contains__, lambda m, n: (m, n) in moves.names)
    if found is None:
        return None
    module, name = found
    if not name:
        return moves.modules.get(module)
    return f"{moves.names[(module, name)]}.{moves.new_name(module, name)}"


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
