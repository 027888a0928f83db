"""The ``retired`` contract type: listed modules stay deleted, and nothing imports them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from grimp import ImportGraph
from importlinter import Contract, ContractCheck, fields, output
from importlinter.application import contract_utils
from importlinter.domain.imports import Module
from rich.markup import escape

from ._source import (
    display_path,
    find_module_file,
    find_module_files_on_path,
    imported_names,
    names_module,
    parse_file,
    source_line,
)


@dataclass(frozen=True, order=True)
class RetiredImport:
    importer: str
    retired: str
    location: str  # "path:line"
    code: str


class RetiredModulesContract(Contract):
    """
    Retired-modules contracts check that modules which have been deleted stay deleted, and that
    nothing still imports them.

    A retired module is reported if a file that would provide it exists: ``a/b/c.py`` or
    ``a/b/c/__init__.py`` below the directory of its top-level package or below any ``sys.path``
    entry; or if it is in the import graph.

    Importers are found statically: grimp does not keep imports of modules that do not exist (it
    drops them, or records an import of the nearest existing ancestor package instead), so every
    module in the graph is parsed with ``ast`` and each import statement, anywhere in the file,
    is matched against the retired names. ``import a.b.c``, ``from a.b import c``, ``from a.b.c
    import x``, relative forms, and ``import_module("a.b.c")`` calls with a literal argument all
    count as importing ``a.b.c`` (and importing a submodule of it counts too).

    Configuration options:
        - modules:                  The retired modules. (Optional.)
        - names:                    Retired re-exports, ``module:name``: the module stays, and
                                    nothing does ``from module import name``. (Optional.)
        - broken_contract_guidance: Guidance explaining how to fix the contract if it's broken.
                                    Displayed after the contract's violations. (Optional.)
    """

    type_name = "retired"

    modules = fields.ListField(subfield=fields.ModuleField(), required=False)
    names = fields.ListField(subfield=fields.StringField(), required=False)
    broken_contract_guidance = fields.TextField(required=False)

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        retired = sorted({module.name for module in cast(list[Module], self.modules or [])})
        reexports = sorted(
            {str(entry).replace(":", ".", 1) for entry in cast(list[str], self.names or [])}
        )

        present: dict[str, list[str]] = {}
        for name in retired:
            places = [display_path(path) for path in find_module_files_on_path(name)]
            if name in graph.modules:
                places.append("the import graph")
            if places:
                present[name] = places

        output.verbose_print(verbose, f"Scanning {len(graph.modules)} modules for imports...")
        imports = sorted(_find_retired_imports(graph, retired, reexports))

        return ContractCheck(
            kept=not present and not imports,
            metadata={"present": present, "imports": imports, "modules": retired},
        )

    def render_broken_contract(self, check: ContractCheck) -> None:
        present: dict[str, list[str]] = check.metadata["present"]
        imports: list[RetiredImport] = check.metadata["imports"]
        for name, places in present.items():
            output.print_error(f"Retired module {name} exists:", bold=False)
            output.new_line()
            for place in places:
                output.print_error(f"- {escape(place)}", bold=False)
            output.new_line()
        for name in sorted({found.retired for found in imports}):
            what = "module" if name in check.metadata["modules"] else "re-export"
            output.print_error(f"Imports of retired {what} {name}:", bold=False)
            output.new_line()
            for found in imports:
                if found.retired == name:
                    output.print_error(
                        f"- {found.importer} -> {name} ({escape(found.location)}: "
                        f"{escape(found.code)})",
                        bold=False,
                    )
            output.new_line()
        contract_utils.render_broken_contract_guidance(
            cast("str | None", self.broken_contract_guidance)
        )


def _find_retired_imports(
    graph: ImportGraph, retired: list[str], reexports: list[str]
) -> set[RetiredImport]:
    """Imports of a retired module (or inside it), and ``from m import name`` of a retired
    re-export ``m.name`` (its module stays)."""
    found: set[RetiredImport] = set()
    for module in graph.modules:
        path = find_module_file(module)
        if path is None:
            continue
        try:
            tree = parse_file(path)
        except (SyntaxError, ValueError, OSError):
            continue  # grimp has already failed on a file it cannot parse
        is_package = path.name == "__init__.py"
        for imported in imported_names(tree, module, is_package):
            hits = [name for name in retired if names_module(imported.name, name)]
            hits += [name for name in reexports if imported.name == name]
            for name in hits:
                found.add(
                    RetiredImport(
                        importer=module,
                        retired=name,
                        location=f"{display_path(path)}:{imported.line_number}",
                        code=source_line(path, imported.line_number),
                    )
                )
    return found
