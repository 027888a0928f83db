"""The inventory for people: a Markdown report."""

from __future__ import annotations

from collections import Counter

from shimkit.domain.model import Area, Inventory, Reference, Resolution, ShimLayer

_AREA_ORDER = (Area.SRC, Area.TESTS, Area.SCRIPTS, Area.NOTEBOOKS, Area.OTHER)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    return f"`{text}`" if text else ""


def _site(r: Reference) -> str:
    where = f"{r.path}:{r.line}"
    return f"{where} (cell {r.cell})" if r.cell is not None else where


def is_active(inv: Inventory, shim: str) -> bool:
    """Referenced from anywhere outside the inventory's shim modules themselves."""
    shim_modules = {s.module for s in inv.shims}
    return any(r.shim == shim and r.importer not in shim_modules for r in inv.references)


def render_markdown(inv: Inventory) -> str:
    out: list[str] = ["# Shim inventory", ""]
    out.append(f"Root: `{inv.root}` (import root `{inv.src}`)")
    if inv.commit:
        out.append(f"Commit: `{inv.commit}`")
    out.append("")

    out += _listing(
        "Files that do not parse",
        "A file blocks the run while it does not parse when it could name a module the run "
        "moves; the others are skipped (not checked; inside a root package, import-linter sees "
        "an empty module):",
        [
            f"`{f.path}:{f.line}`: {_cell(f.message)} "
            + (f"(blocks: {_cell(f.blocks)})" if f.blocks else "(skipped)")
            + (" (masked for import-linter)" if f.masked else "")
            for f in inv.parse_failures
        ],
    )
    out += _listing(
        "Notebook cells not analysed",
        "Cell magics whose body is not Python; a reference in them is neither seen nor rewritten:",
        [f"`{c.path}` (cell {c.cell}): `%%{c.magic}`" for c in inv.skipped_cells],
    )

    by_shim: dict[str, list[Reference]] = {}
    for r in inv.references:
        by_shim.setdefault(r.shim, []).append(r)
    chains: dict[str, list[Resolution]] = {}
    for res in inv.resolutions:
        chains.setdefault(res.shim, []).append(res)

    out += ["## Summary", ""]
    out.append("| shim | kind | warns | status | references | src | tests | scripts | notebooks |")
    out.append("| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for s in inv.shims:
        refs = by_shim.get(s.module, [])
        areas = Counter(r.area for r in refs)
        out.append(
            f"| `{s.module}` | {_kind(s)} | {'yes' if s.warns else 'no'} | "
            f"{'active' if is_active(inv, s.module) else 'unused'} | {len(refs)} | "
            + " | ".join(str(areas[a]) for a in _AREA_ORDER[:4])
            + " |"
        )
    listed = {s.module for s in inv.shims}
    for module in sorted(set(by_shim) - listed):
        refs = by_shim[module]
        areas = Counter(r.area for r in refs)
        out.append(
            f"| `{module}` | not in the tree | - | referenced | {len(refs)} | "
            + " | ".join(str(areas[a]) for a in _AREA_ORDER[:4])
            + " |"
        )
    out.append("")

    for s in inv.shims:
        out += _shim_section(inv, s, chains.get(s.module, []), by_shim.get(s.module, []))
    for module in sorted(set(by_shim) - listed):
        out += [f"## `{module}` (not in the tree)", ""]
        out += _usage_table(by_shim[module])

    out += _listing(
        "Modules with code of their own that also re-export",
        "Names each one imports from the tree and passes on (`retire_shims.py MODULE` moves "
        "their importers to the source and takes these lines out; the module stays):",
        [
            f"`{m.module}`: "
            + ", ".join(f"`{r.name}` (from `{r.imported_from}`)" for r in m.reexports)
            for m in inv.mixed
        ],
    )
    out += _listing(
        "Tests exercising shims",
        "These test a shim itself (its warning, its file); they go when the shim goes.",
        [
            f"`{_site(r)}` `{r.shim}`: {_code(_cell(r.text))}"
            for r in inv.references
            if r.exercises_shim
        ],
    )
    return "\n".join(out)


def _listing(title: str, intro: str, items: list[str]) -> list[str]:
    """A section: ``intro`` and one bullet per item, or "None."."""
    if not items:
        return [f"## {title}", "", "None.", ""]
    return [f"## {title}", "", intro, "", *(f"- {item}" for item in items), ""]


def _kind(s: ShimLayer) -> str:
    kind = "package facade" if s.facade else "cross-package shim"
    if s.pure:
        return kind
    if s.reexports_only:
        return f"{kind} (some names lazy, through `__getattr__`)"
    return f"{kind} (with code of its own)"


def _shim_section(
    inv: Inventory, s: ShimLayer, resolutions: list[Resolution], refs: list[Reference]
) -> list[str]:
    out = [f"## `{s.module}`", ""]
    out.append(f"- File: `{s.path}`")
    out.append(f"- Kind: {_kind(s)}")
    out.append(f"- Deprecated (warns on import): {'yes' if s.warns else 'no'}")
    outside = [r for r in refs if r.importer not in {x.module for x in inv.shims}]
    status = f"active ({len(outside)} references outside shim modules)" if outside else "unused"
    out.append(f"- Status: {status}")
    if s.all_names is not None:
        out.append(f"- `__all__`: {', '.join(s.all_names) or '(empty)'}")
    if s.none_fallbacks:
        out.append(f"- Set to None when the import fails: {', '.join(s.none_fallbacks)}")
    out.append("")
    out += ["### Re-exports", ""]
    if s.reexports:
        res_by_name = {r.name: r for r in resolutions}
        out.append("| name | imported from | chain to the source of truth | defined in |")
        out.append("| --- | --- | --- | --- |")
        for x in s.reexports:
            res = res_by_name.get(x.name)
            chain = (
                " → ".join(
                    f"`{m}`" + (" (lazy `__getattr__`)" if res.provides_lazily(m) else "")
                    for m in res.chain
                )
                if res
                else ""
            )
            where = (
                f"`{res.definition.module}.{res.definition.name}`"
                if res and res.definition
                else _cell(f"not found: {res.unresolved}")
                if res and res.unresolved
                else "outside the tree"
            )
            flags = [
                f for f, on in (("guarded", x.guarded), ("star", x.star), ("lazy", x.lazy)) if on
            ]
            name = x.name if x.name == x.original_name else f"{x.name} (= {x.original_name})"
            suffix = f" ({', '.join(flags)})" if flags else ""
            out.append(f"| `{name}`{suffix} | `{x.imported_from}`:{x.line} | {chain} | {where} |")
    else:
        out.append("None.")
    out.append("")
    out += _usage_table(refs)
    return out


def _usage_table(refs: list[Reference]) -> list[str]:
    out = ["### Usage sites", ""]
    if not refs:
        return [*out, "None.", ""]
    counts = Counter(r.area for r in refs)
    out.append("Per area: " + ", ".join(f"{a.value} {counts[a]}" for a in _AREA_ORDER if counts[a]))
    out.append("")
    out.append("| where | kind | area | names | contexts | source |")
    out.append("| --- | --- | --- | --- | --- | --- |")
    for r in refs:
        contexts = ", ".join(sorted(c.value for c in r.contexts))
        if r.exercises_shim:
            contexts = f"{contexts}, exercises shim" if contexts else "exercises shim"
        out.append(
            f"| `{_site(r)}` | {r.kind.value} | {r.area.value} | {', '.join(r.names)} | "
            f"{contexts} | {_code(_cell(r.text))} |"
        )
    out.append("")
    return out
