"""Code examples in docstrings (``>>>``), rewritten like code where they parse, listed where not.

The examples of one docstring run in one namespace (as doctest runs them), so they are joined
into one text and rewritten by :func:`.source.rewrite_source`; each example then takes back its
part, under its own prompts. An example that names a moved module and does not parse, or holds a
backslash (its text in the file is not the code doctest runs), is left alone and listed.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from shimkit.domain.doctest_examples import Example, docstrings_with_examples, examples
from shimkit.domain.model import Moves

from .errors import RewriteError
from .facts import Edit
from .regions import statement_starts
from .source import rewrite_source


@dataclass(frozen=True)
class ExamplesRewrite:
    text: str
    notes: tuple[str, ...] = ()  # examples left for a person, with why


def rewrite_examples(
    text: str, path: str, moves: Moves, importer: str | None, is_package: bool
) -> ExamplesRewrite:
    """``text`` with the docstring examples that reach a moved module rewritten."""
    leaves = {module.rpartition(".")[2] for module in moves.old_modules()}
    if ">>>" not in text or not any(leaf in text for leaf in leaves):
        return ExamplesRewrite(text)
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return ExamplesRewrite(text)
    starts = _line_starts(text)
    replacements: list[tuple[int, int, str]] = []
    notes: list[str] = []
    for node in docstrings_with_examples(tree):
        start = _offset(text, starts, node.lineno, node.col_offset)
        end = _offset(text, starts, node.end_lineno or node.lineno, node.end_col_offset or 0)
        literal = text[start:end]
        chosen: list[Example] = []
        for example in examples(literal):
            if not any(leaf in example.code for leaf in leaves):
                continue
            where = f"{path}:{node.lineno + example.first_line}"
            problem = _unusable(example)
            if problem:
                notes.append(f"{where}: a docstring example names a moved module and {problem}")
            else:
                chosen.append(example)
        if not chosen:
            continue
        joined = "".join(example.code for example in chosen)
        try:
            outcome = rewrite_source(joined, path, moves, importer, is_package)
        except RewriteError as error:
            line = node.lineno + chosen[0].first_line
            notes.append(f"{path}:{line}: a docstring example cannot be rewritten: {error}")
            continue
        if not outcome.changed:
            continue
        newline = "\r\n" if "\r\n" in literal else "\n"
        position = 0
        for example in chosen:
            new_code = _apply(joined, position, position + len(example.code), outcome.edits)
            position += len(example.code)
            if new_code == example.code:
                continue
            first = example.lines[0]
            span_start = start + first.start - len(first.prompt)
            span_end = start + example.lines[-1].end
            replacements.append((span_start, span_end, _prompted(example, new_code, newline)))
    new = text
    for span_start, span_end, replacement in sorted(replacements, reverse=True):
        new = new[:span_start] + replacement + new[span_end:]
    return ExamplesRewrite(new, tuple(notes))


def _unusable(example: Example) -> str:
    if "\\" in example.code:
        return "holds a backslash: rewrite it by hand"
    try:
        ast.parse(example.code)
    except (SyntaxError, ValueError) as error:
        return f"does not parse ({getattr(error, 'msg', error)}): rewrite it by hand"
    return ""


def _apply(text: str, start: int, end: int, edits: tuple[Edit, ...]) -> str:
    """``text[start:end]`` with the ``edits`` (offsets of ``text``) that fall in it."""
    out: list[str] = []
    position = start
    for edit in sorted(edits, key=lambda e: e.start):
        if start <= edit.start < end:
            out.append(text[position : edit.start])
            out.append(edit.text)
            position = edit.end
    out.append(text[position:end])
    return "".join(out)


def _prompted(example: Example, code: str, newline: str) -> str:
    """``code`` under prompts: the example's own, line for line, when the line count holds;
    else ``>>>`` where a statement starts and ``...`` elsewhere, at the example's indent."""
    rows = code.rstrip("\n").split("\n")
    if len(rows) == len(example.lines):
        prompts = [line.prompt for line in example.lines]
    else:
        indent = example.lines[0].prompt[: example.lines[0].prompt.index(">>>")]
        begins = {code.count("\n", 0, offset) for offset in statement_starts(code)}
        prompts = [indent + (">>> " if i in begins else "... ") for i in range(len(rows))]
    return newline.join(prompt + row for prompt, row in zip(prompts, rows, strict=True))


def _line_starts(text: str) -> list[int]:
    starts = [0]
    for row in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(row))
    return starts


def _offset(text: str, starts: list[int], line: int, column: int) -> int:
    """The offset of ``ast``'s (1-based line, UTF-8 byte column) in ``text``."""
    base = starts[line - 1]
    row = text[base : starts[line]] if line < len(starts) else text[base:]
    return base + len(row.encode("utf-8")[:column].decode("utf-8", errors="ignore"))


__all__ = ["ExamplesRewrite", "rewrite_examples"]
