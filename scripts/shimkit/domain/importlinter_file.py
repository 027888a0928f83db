"""``.importlinter`` as the engine writes it: rendered whole from a ``ContractsState``.

The contracts the kit manages are rendered from the plan and the importers found in the tree, so
they cannot drift from the plan; any other contract section a team adds is kept as it is.
"""

from __future__ import annotations

import configparser
import re
from collections.abc import Iterable
from dataclasses import dataclass

CONFIG = ".importlinter"
MANAGED_SECTIONS = frozenset(
    {
        "importlinter",
        "importlinter:contract:shims-protected",
        "importlinter:contract:layers",
        "importlinter:contract:shims-reexport-only",
        "importlinter:contract:retired",
    }
)
ALLOWLIST_BEGIN = "# allowlist:begin"
ALLOWLIST_END = "# allowlist:end"
_SECTION = re.compile(r"^\[([^\]]+)\]\s*$")


@dataclass(frozen=True)
class ContractsState:
    root_packages: tuple[str, ...]
    shims: tuple[str, ...]  # protected: every shim module the plan knows
    allowed_importers: tuple[str, ...]  # the kept compatibility layers
    allowlist: tuple[tuple[str, str], ...]  # legacy importer -> shim
    layers: tuple[str, ...]  # top-level packages, highest first
    layers_allowlist: tuple[tuple[str, str], ...]  # legacy importer -> higher-layer shim
    reexport_only: tuple[str, ...]  # kept shims that are pure re-exports
    retired: tuple[str, ...]  # modules that must stay deleted
    # layers the plan names that this tree lacks: import-linter's optional layers, "(name)"
    optional_layers: tuple[str, ...] = ()
    # "module:name": re-exports retired from modules that stay; nothing imports them from there
    retired_names: tuple[str, ...] = ()


def _values(values: Iterable[str], indent: str = "    ") -> list[str]:
    return [f"{indent}{value}" for value in values]


def _layer(name: str, optional: tuple[str, ...]) -> str:
    return f"({name})" if name in optional else name


def _imports(entries: Iterable[tuple[str, str]]) -> list[str]:
    return _values(f"{importer} -> {imported}" for importer, imported in sorted(set(entries)))


def render(state: ContractsState, existing: str | None = None) -> str:
    lines = [
        "# Import contracts of the tracked codebase (import root: src/).",
        "# Run from the repository root:  PYTHONPATH=src lint-imports",
        "# (lint-imports puts the current directory on sys.path: `contracts` is importable.)",
        "# Written by scripts/step1_inventory.py --write-contracts, kept current by steps 2-4:",
        "# the shims come from scripts/consolidation_plan.py, the allowlist from the importers",
        "# found in the tree. Contract sections other than these are kept as they are.",
        "",
        "[importlinter]",
        "root_packages =",
        *_values(state.root_packages),
        "contract_types =",
        "    protected_shims: contracts.protected_shims.ProtectedShimsContract",
        "    reexport_only: contracts.reexport_only.ReExportOnlyContract",
        "    retired: contracts.retired.RetiredModulesContract",
        "",
        "# Every shim module of the plan is protected; retired ones that are gone are skipped.",
        "# as_packages = False: protecting a package protects its __init__ only.",
        "# The allowlist of legacy importers is ignore_imports, one `importer -> shim` per line,",
        "# between the marker comments. A stale entry (an import that is gone) fails the run.",
        "[importlinter:contract:shims-protected]",
        "name = Shim modules are imported only by allowlisted legacy modules",
        "type = protected_shims",
        "protected_modules =",
        *_values(sorted(state.shims)),
        "allowed_importers =",
        *_values(sorted(state.allowed_importers)),
        "as_packages = False",
        "unmatched_ignore_imports_alerting = error",
        "ignore_imports =",
        f"    {ALLOWLIST_BEGIN}",
        *_imports(state.allowlist),
        f"    {ALLOWLIST_END}",
    ]
    if state.layers:
        lines += [
            "",
            "# A `forbidden` contract between two root packages would silently check nothing;",
            "# layers does hold it.",
            "[importlinter:contract:layers]",
            "name = Layers: " + " > ".join(state.layers),
            "type = layers",
            "layers =",
            *_values(_layer(layer, state.optional_layers) for layer in state.layers),
        ]
        if state.layers_allowlist:
            lines += [
                "unmatched_ignore_imports_alerting = error",
                "ignore_imports =",
                *_imports(state.layers_allowlist),
            ]
    if state.reexport_only:
        lines += [
            "",
            "# The kept compatibility shims contain nothing but re-exports.",
            "[importlinter:contract:shims-reexport-only]",
            "name = Kept compatibility shims contain nothing but re-exports",
            "type = reexport_only",
            "modules =",
            *_values(sorted(state.reexport_only)),
        ]
    if state.retired or state.retired_names:
        about = (
            [
                "# The retired shims stay deleted and nothing imports them; nothing imports a "
                "retired",
                "# re-export (module:name) from the module that kept its own code.",
            ]
            if state.retired_names
            else ["# The retired shims stay deleted and nothing imports them."]
        )
        lines += [
            "",
            *about,
            "[importlinter:contract:retired]",
            "name = Retired shim modules stay deleted and unimported",
            "type = retired",
        ]
        if state.retired:
            lines += ["modules =", *_values(sorted(state.retired))]
        if state.retired_names:
            lines += ["names =", *_values(sorted(state.retired_names))]
    for section in _unmanaged_sections(existing or ""):
        lines += ["", *section]
    return "\n".join(lines) + "\n"


def _unmanaged_sections(text: str) -> list[list[str]]:
    sections: list[list[str]] = []
    current: list[str] | None = None
    for line in text.splitlines():
        match = _SECTION.match(line)
        if match:
            current = None if match.group(1) in MANAGED_SECTIONS else [line]
            if current is not None:
                sections.append(current)
        elif current is not None:
            current.append(line)
    for section in sections:
        while section and not section[-1].strip():
            section.pop()
    return sections


def _list(parser: configparser.ConfigParser, section: str, key: str) -> tuple[str, ...]:
    if not parser.has_option(section, key):
        return ()
    raw = parser.get(section, key)
    return tuple(v.strip() for v in raw.splitlines() if v.strip() and not v.strip().startswith("#"))


def _imports_of(values: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    pairs = (value.split("->", 1) for value in values if "->" in value)
    return tuple((importer.strip(), imported.strip()) for importer, imported in pairs)


def read_layers_allowlist(text: str) -> tuple[tuple[str, str], ...]:
    """The layers contract's ``ignore_imports`` of an existing file: its legacy upward imports."""
    return _imports_of(_parse(text).get("layers_ignores", ()))


def read_root_packages(text: str) -> tuple[str, ...]:
    """The ``root_packages`` an existing file gives import-linter."""
    return _parse(text)["roots"]


def read_lists(text: str) -> dict[str, tuple[str, ...]]:
    """The managed lists of an existing file: ``protected``, ``retired`` (and ``retired_names``,
    ``module:name``), ``allowed_importers``
    (the kept layers, ``pkg.**`` for a package) and ``allowlist`` (``importer -> shim``)."""
    lists = _parse(text)
    return {
        "protected": lists["protected"],
        "retired": lists["retired"],
        "retired_names": lists["retired_names"],
        "allowed_importers": lists["allowed_importers"],
        "allowlist": lists["protected_ignores"],
    }


def _parse(text: str) -> dict[str, tuple[str, ...]]:
    parser = configparser.ConfigParser(comment_prefixes=("#", ";"), inline_comment_prefixes=None)
    try:
        parser.read_string(text)
    except configparser.Error as error:
        first = str(error).splitlines()[0]
        raise ValueError(f".importlinter does not parse: {first}") from error
    return {
        "roots": _list(parser, "importlinter", "root_packages"),
        "protected": _list(parser, "importlinter:contract:shims-protected", "protected_modules"),
        "allowed_importers": _list(
            parser, "importlinter:contract:shims-protected", "allowed_importers"
        ),
        "protected_ignores": _list(
            parser, "importlinter:contract:shims-protected", "ignore_imports"
        ),
        "retired": _list(parser, "importlinter:contract:retired", "modules"),
        "retired_names": _list(parser, "importlinter:contract:retired", "names"),
        "layers_ignores": _list(parser, "importlinter:contract:layers", "ignore_imports"),
    }
