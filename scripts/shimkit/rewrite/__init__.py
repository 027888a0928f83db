"""``shimkit.rewrite``: pure text -> text rewrites of the references that reach moved names.

Nothing here reads or writes files. Public API:

``rewrite_source(text, path, moves, importer, is_package) -> RewriteOutcome``
    One Python file. ``importer`` is the file's dotted module (relative imports are resolved
    against it; None outside the import root, where relative imports are left alone),
    ``is_package`` says whether it is a package ``__init__``. ``RewriteOutcome.text`` is the new
    text and ``.engine`` is ``Engine.BOWLER``, ``Engine.LIBCST`` or None (unchanged). Bowler (a
    query of fissix patterns built from the moves, run in memory) is the primary engine; files
    fissix cannot parse (match, ``except*``, PEP 695, parenthesised ``with``, ...) go through
    LibCST, which feeds the same planner and so gives the same bytes. Follows "Rewrite
    conventions" in docs/design.md.

``rewrite_notebook(text, path, moves) -> str``
    An nbformat-4 notebook: each code cell through ``rewrite_source``, read as the analysis reads
    it (``shimkit.domain.ipython_cells``: IPython syntax masked and restored byte for byte; a cell
    magic that is not Python left alone), JSON layout, key order and ``source`` shape kept;
    outputs untouched.

``normalize_shim(text, exports, notice=DEFAULT_NOTICE, renames={}) -> str``
    A kept compatibility shim in the canonical format (docstring, ``from __future__`` imports,
    one sorted ``from`` import per source module, ``__all__``). ``renames`` (exported name ->
    its name in the source module) renders ``from source import original as name``.

``check_rewrite(old_text, new_text, importer, is_package, uses, outcome=None) -> list[str]``
    Post-rewrite check: the result parses (ast, and fissix or LibCST) and ``uses`` (the analysis
    layer's binding counter) returns the same counts for both texts. Given the rewrite's
    ``outcome``, only the statements that can differ are read (the same verdict, less work).

``start_rewrites(tasks, moves, jobs=None) -> Iterator[FileRewrite]``
    Many files (``FileTask(path, text, module, is_package)``, ``.py`` or ``.ipynb``): each
    rewritten and prepared for the check (``FileRewrite.uses_before``/``uses_after``, to resolve
    with ``analysis.resolve_uses`` and compare with ``compare_uses``; imports the rewrite only
    repointed to another module are in ``FileRewrite.repointed``, for ``repointing_problems``
    with the resolver), across a pool of processes
    when there are at least 20 files or 1 MB of text. Results come as they are done, each with
    its ``FileRewrite.result`` in the LibCST manner: ``Rewritten(kind, engine)`` (success),
    ``Unchanged()`` (skip) or ``NotRewritten(message)`` (failure).

Large files cost what their relevant statements cost: the engines and the check only see the
top-level statements that can take part in the rewrite (found with one pass of the tokenizer), so
a syntax error elsewhere in a file is not the rewrite's concern (the analysis reports it).

``remove_reexports(text, path, names) -> str`` / ``reexports_on_access(text, path, module, moved)``
    A module that keeps code of its own, without the top-level imports that re-export ``names``;
    or with them provided by a ``__getattr__`` that warns on access (public API kept).

``RewriteError(path, line, message)``
    Raised for a file neither engine can parse, or a reference the conventions cannot express.
"""

from __future__ import annotations

from .batch import FileRewrite, FileTask, NotRewritten, Rewritten, Unchanged, start_rewrites
from .check import check_rewrite, compare_uses, repointing_problems
from .errors import RewriteError
from .notebook import rewrite_notebook
from .reexports import reexports_on_access, remove_reexports
from .shim import DEFAULT_NOTICE, normalize_shim
from .source import RewriteOutcome, rewrite_source

__all__ = [
    "DEFAULT_NOTICE",
    "FileRewrite",
    "FileTask",
    "NotRewritten",
    "RewriteError",
    "RewriteOutcome",
    "Rewritten",
    "Unchanged",
    "check_rewrite",
    "compare_uses",
    "normalize_shim",
    "reexports_on_access",
    "remove_reexports",
    "repointing_problems",
    "rewrite_notebook",
    "rewrite_source",
    "start_rewrites",
]
