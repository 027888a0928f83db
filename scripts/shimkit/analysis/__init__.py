"""``shimkit.analysis``: the static layer of the engine. Reads files and parses them with ``ast``;
never imports or runs the target's code and never writes. Depends on ``shimkit.domain`` only.

Public API
----------
``scan(root, src="src", exclude=(), tracked=None) -> Codebase``
    Discover every ``*.py``/``*.ipynb`` of the repository: the files git tracks (``tracked``),
    else every one outside tool, hidden and build folders and virtualenvs; never ``exclude``
    prefixes nor the kit itself. Decode per PEP 263 keeping the exact text, parse.
    Undecodable/unparsable files become ``ParseFailure``s, never exceptions. Notebook code cells
    are read the IPython way (``shimkit.domain.ipython_cells``), as the rewrite reads them.
``Codebase`` / ``SourceFile`` / ``NotebookCell``
    The scanned files; ``Codebase.module(name)``, ``.file(path)``, ``.modules``,
    ``.has_module(name)``, ``.in_tree(name)`` (namespace packages included), ``.skipped_cells``
    (notebook cells whose cell magic is not Python).
``find_mixed(codebase) -> tuple[ShimLayer, ...]``
    Modules with code of their own that also re-export names from the tree (step 1 lists them).

``find_shims(codebase) -> tuple[ShimLayer, ...]``
    Every re-export layer under ``src`` (plain, ``__all__``, guarded, star, deprecated, facades).
``shim_layer(codebase, module) -> ShimLayer | None``
    Describe one module as a layer even if ``find_shims`` would not call it one.
``resolve(codebase, shims) -> tuple[Resolution, ...]``, ``make_resolver(codebase)``
    Follow re-exported names through chains of shims to the defining module.
``ModuleIndex(codebase)``
    What each module binds at import time, built on demand: ``public_names(module)`` (what a star
    import of it binds), ``trace(module, name)`` and ``resolution(module, name)`` (the chain to the
    definition through imports, star imports and PEP 562 ``__getattr__`` branches, with how each
    module passes the name on, or why it cannot be followed).
``find_references(codebase, shim_modules) -> tuple[Reference, ...]``
    Every import / attribute use / string naming a shim module, in all scanned files.
``bound_uses(tree, importer, is_package, resolve) -> Counter[Definition]``
    What the file's imported names refer to; equal Counters = an equivalent rewrite. In two
    halves: ``import_uses(tree, importer, is_package) -> Counter[ImportUse]`` (no codebase needed)
    and ``resolve_uses(uses, resolve) -> Counter[Definition]``.
``build_inventory(root, src="src", shim_modules=None, exclude=()) -> Inventory``
  and ``inventory_of(codebase, shim_modules=None, also_referenced=()) -> Inventory``
``inventory_to_json(inv) -> dict`` / ``inventory_from_json(d) -> Inventory``
``foreign_offsets(text, names) -> frozenset[int] | None``
    Where ``names`` occur in ``text`` as another binding than their import (a parameter, a local,
    a loop variable...), by Python's scoping rules: not uses of the import.
``imports_of(codebase, modules) -> tuple[ImportSite, ...]``
    Every import statement importing one of ``modules`` (existing or deleted), with its line.
``import_graph(codebase) -> ImportGraph``
    Which modules each file imports (``ImportGraph.files[path]``), ``affected_modules(changed)``,
    ``files_importing(changed)`` and ``external_imports(modules)`` (what to load before forking).
``render_markdown(inv) -> str``
``root_packages(codebase)``, ``triage(codebase, watched, roots) -> tuple[ParseFailure, ...]``
    Which files that do not parse block a run (in a root package, or could name a watched
    module) and which are only listed as skipped.
"""

from __future__ import annotations

from .bindings import ImportUse, bound_uses, import_uses, resolve_uses
from .codebase import Codebase, NotebookCell, SourceFile
from .import_graph import FileImports, ImportGraph, ImportSite, import_graph, imports_of
from .inventory import build_inventory, inventory_of
from .modules import module_name, resolve_relative
from .namespace import ModuleIndex
from .reexports import find_mixed, find_shims, shim_layer
from .references import find_references
from .report import is_active, render_markdown
from .resolve import make_resolver, resolve
from .scopes import foreign_offsets
from .serialize import inventory_from_json, inventory_to_json
from .sources import scan
from .triage import root_packages, triage

__all__ = [
    "Codebase",
    "FileImports",
    "ImportGraph",
    "ImportSite",
    "ImportUse",
    "ModuleIndex",
    "NotebookCell",
    "SourceFile",
    "bound_uses",
    "build_inventory",
    "find_mixed",
    "find_references",
    "find_shims",
    "foreign_offsets",
    "import_graph",
    "import_uses",
    "imports_of",
    "inventory_from_json",
    "inventory_of",
    "inventory_to_json",
    "is_active",
    "make_resolver",
    "module_name",
    "render_markdown",
    "resolve",
    "resolve_relative",
    "resolve_uses",
    "root_packages",
    "scan",
    "shim_layer",
    "triage",
]
