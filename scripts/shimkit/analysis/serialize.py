"""``Inventory`` <-> JSON-compatible dicts (exact round trip: enums by value, frozensets sorted)."""

from __future__ import annotations

from typing import Any

from shimkit.domain.model import (
    Area,
    BranchWork,
    Context,
    Definition,
    Inventory,
    ParseFailure,
    Precondition,
    ReExport,
    Reference,
    ReferenceKind,
    Resolution,
    ShimLayer,
    SkippedCell,
)

FORMAT = "shimkit-inventory/1"


def inventory_to_json(inv: Inventory) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "root": inv.root,
        "src": inv.src,
        "commit": inv.commit,
        "parse_failures": [
            {
                "path": f.path,
                "line": f.line,
                "message": f.message,
                "blocks": f.blocks,
                "masked": f.masked,
            }
            for f in inv.parse_failures
        ],
        "shims": [_shim_to_json(s) for s in inv.shims],
        "mixed": [_shim_to_json(s) for s in inv.mixed],
        "resolutions": [_resolution_to_json(r) for r in inv.resolutions],
        "references": [_reference_to_json(r) for r in inv.references],
        "modules": list(inv.modules),
        "importable_modules": list(inv.importable_modules),
        "import_warnings": [list(w) for w in inv.import_warnings],
        "contract_violations": list(inv.contract_violations),
        "test_failures": list(inv.test_failures),
        "preconditions": [
            {"name": p.name, "met": p.met, "details": p.details} for p in inv.preconditions
        ],
        "work_in_flight": [
            {"branch": w.branch, "commits": w.commits, "files": list(w.files)}
            for w in inv.work_in_flight
        ],
        "skipped_cells": [
            {"path": c.path, "cell": c.cell, "magic": c.magic} for c in inv.skipped_cells
        ],
    }


def inventory_from_json(d: dict[str, Any]) -> Inventory:
    fmt = d.get("format", FORMAT)
    if fmt != FORMAT:
        raise ValueError(f"unknown inventory format {fmt!r} (expected {FORMAT!r})")
    return Inventory(
        root=str(d["root"]),
        src=str(d["src"]),
        commit=d.get("commit"),
        parse_failures=tuple(
            ParseFailure(
                str(f["path"]),
                int(f["line"]),
                str(f["message"]),
                str(f.get("blocks", "")),
                bool(f.get("masked", False)),
            )
            for f in d.get("parse_failures", [])
        ),
        shims=tuple(_shim_from_json(s) for s in d.get("shims", [])),
        mixed=tuple(_shim_from_json(s) for s in d.get("mixed", [])),
        resolutions=tuple(_resolution_from_json(r) for r in d.get("resolutions", [])),
        references=tuple(_reference_from_json(r) for r in d.get("references", [])),
        modules=tuple(str(m) for m in d.get("modules", [])),
        importable_modules=tuple(str(m) for m in d.get("importable_modules", [])),
        import_warnings=tuple(
            (str(w[0]), str(w[1]), str(w[2])) for w in d.get("import_warnings", []) if len(w) == 3
        ),
        contract_violations=tuple(str(v) for v in d.get("contract_violations", [])),
        test_failures=tuple(str(t) for t in d.get("test_failures", [])),
        preconditions=tuple(
            Precondition(str(p["name"]), bool(p["met"]), str(p["details"]))
            for p in d.get("preconditions", [])
        ),
        work_in_flight=tuple(
            BranchWork(str(w["branch"]), int(w["commits"]), tuple(str(f) for f in w["files"]))
            for w in d.get("work_in_flight", [])
        ),
        skipped_cells=tuple(
            SkippedCell(str(c["path"]), int(c["cell"]), str(c["magic"]))
            for c in d.get("skipped_cells", [])
        ),
    )


def _shim_to_json(s: ShimLayer) -> dict[str, Any]:
    return {
        "module": s.module,
        "path": s.path,
        "reexports": [
            {
                "name": r.name,
                "imported_from": r.imported_from,
                "original_name": r.original_name,
                "line": r.line,
                "guarded": r.guarded,
                "star": r.star,
                "lazy": r.lazy,
            }
            for r in s.reexports
        ],
        "warns": s.warns,
        "is_package_init": s.is_package_init,
        "facade": s.facade,
        "pure": s.pure,
        "reexports_only": s.reexports_only,
        "none_fallbacks": list(s.none_fallbacks),
        "all_names": None if s.all_names is None else list(s.all_names),
    }


def _shim_from_json(d: dict[str, Any]) -> ShimLayer:
    all_names = d.get("all_names")
    return ShimLayer(
        module=str(d["module"]),
        path=str(d["path"]),
        reexports=tuple(
            ReExport(
                name=str(r["name"]),
                imported_from=str(r["imported_from"]),
                original_name=str(r["original_name"]),
                line=int(r["line"]),
                guarded=bool(r.get("guarded", False)),
                star=bool(r.get("star", False)),
                lazy=bool(r.get("lazy", False)),
            )
            for r in d.get("reexports", [])
        ),
        warns=bool(d["warns"]),
        is_package_init=bool(d["is_package_init"]),
        facade=bool(d["facade"]),
        pure=bool(d["pure"]),
        reexports_only=bool(d.get("reexports_only", d["pure"])),
        none_fallbacks=tuple(str(n) for n in d.get("none_fallbacks", [])),
        all_names=None if all_names is None else tuple(str(n) for n in all_names),
    )


def _resolution_to_json(r: Resolution) -> dict[str, Any]:
    return {
        "shim": r.shim,
        "name": r.name,
        "chain": list(r.chain),
        "definition": None
        if r.definition is None
        else {"module": r.definition.module, "name": r.definition.name},
        "via": list(r.via),
        "unresolved": r.unresolved,
        "names": list(r.names),
    }


def _resolution_from_json(d: dict[str, Any]) -> Resolution:
    definition = d.get("definition")
    return Resolution(
        shim=str(d["shim"]),
        name=str(d["name"]),
        chain=tuple(str(m) for m in d.get("chain", [])),
        definition=None
        if definition is None
        else Definition(str(definition["module"]), str(definition["name"])),
        via=tuple(str(v) for v in d.get("via", [])),
        unresolved=str(d.get("unresolved", "")),
        names=tuple(str(n) for n in d.get("names", [])),
    )


def _reference_to_json(r: Reference) -> dict[str, Any]:
    return {
        "path": r.path,
        "line": r.line,
        "column": r.column,
        "kind": r.kind.value,
        "shim": r.shim,
        "names": list(r.names),
        "area": r.area.value,
        "contexts": sorted(c.value for c in r.contexts),
        "importer": r.importer,
        "text": r.text,
        "exercises_shim": r.exercises_shim,
        "test": r.test,
        "cell": r.cell,
    }


def _reference_from_json(d: dict[str, Any]) -> Reference:
    cell = d.get("cell")
    importer = d.get("importer")
    return Reference(
        path=str(d["path"]),
        line=int(d["line"]),
        column=int(d["column"]),
        kind=ReferenceKind(d["kind"]),
        shim=str(d["shim"]),
        names=tuple(str(n) for n in d.get("names", [])),
        area=Area(d["area"]),
        contexts=frozenset(Context(c) for c in d.get("contexts", [])),
        importer=None if importer is None else str(importer),
        text=str(d.get("text", "")),
        exercises_shim=bool(d.get("exercises_shim", False)),
        test=str(d.get("test", "")),
        cell=None if cell is None else int(cell),
    )
