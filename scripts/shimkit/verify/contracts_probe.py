"""Check a tree's import contracts with import-linter's own engine and read the verdict as data.

``lint-imports`` prints for people; the kit needs to know which contract broke, through which
imports, and which allowlist entries no longer match an import. A child interpreter (the target's
import root and the repository root on its path, as ``lint-imports`` runs in CI) builds import-
linter's report and writes it as JSON; nothing here parses human-oriented output.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from shimkit.domain.phases import CONTRACTS, timed
from shimkit.system.processes import child_env, run_child, tail
from shimkit.system.scratch import scratch_dir

__all__ = ["Chain", "ContractResult", "ContractsReport", "Link", "probe_contracts", "probe_text"]

_MARKER = "@@shimkit-contracts@@"

# argv[1]: the config file. Prints one JSON line after the marker.
_CHILD = r"""
import dataclasses, json, os, sys

def links_in(value, found, problems, modules):
    # every import named in a contract check's metadata, whatever the contract type
    if isinstance(value, dict):
        if "chain" in value and isinstance(value["chain"], list):
            chain = [link(item) for item in value["chain"] if isinstance(item, dict)]
            extras = [link(item) for key in ("extra_firsts", "extra_lasts")
                      for item in value.get(key, ()) if isinstance(item, dict)]
            found.append({"links": chain, "alternates": extras})
            return
        if "importer" in value and "imported" in value and "routes" not in value:
            found.append({"links": [link(value)], "alternates": []})
            return
        for item in value.values():
            links_in(item, found, problems, modules)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            links_in(item, found, problems, modules)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = dataclasses.asdict(value)
        target = fields.get("imported", fields.get("retired"))
        if "importer" in fields and isinstance(target, str):
            found.append({"links": [{"importer": fields["importer"], "imported": target,
                                     "line_numbers": [], "where": fields.get("location", "")}],
                          "alternates": []})
        else:
            if isinstance(fields.get("module"), str):
                modules.append(fields["module"])
            if hasattr(value, "describe"):
                problems.append(str(value.describe()))
            else:
                links_in(fields, found, problems, modules)
    elif hasattr(value, "__dict__") and not isinstance(value, type):
        links_in(vars(value), found, problems, modules)

def link(item):
    return {"importer": str(item.get("importer")), "imported": str(item.get("imported")),
            "line_numbers": [n for n in item.get("line_numbers") or () if n is not None],
            "where": ""}

def entries(raw):
    lines = raw if isinstance(raw, list) else str(raw).splitlines()
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if "->" in line and "*" not in line:
            importer, imported = (part.strip() for part in line.split("->", 1))
            yield importer, imported

result = {"error": None, "contracts": []}
try:
    from importlinter import api  # noqa: F401  (configures import-linter)
    from importlinter.application import use_cases
    options = use_cases.read_user_options(sys.argv[1])
    use_cases._register_built_in_contract_types()
    report = use_cases.create_report(options, cache_dir=None)
    for name, error in report.invalid_contract_options.items():
        result["contracts"].append({"id": "", "name": name, "type": "", "kept": False,
            "warnings": [], "chains": [], "problems": [f"invalid options: {error}"],
            "modules": [], "unmatched_ignores": []})
    for contract, check in report.get_contracts_and_checks():
        contract_options = getattr(contract, "contract_options", {}) or {}
        chains, problems, modules = [], [], []
        if not check.kept:
            links_in(check.metadata, chains, problems, modules)
            metadata = check.metadata or {}
            for module, places in (metadata.get("present") or {}).items():
                modules.append(module)
                problems.append(f"{module} exists: " + ", ".join(map(str, places)))
        in_graph = report.graph.modules
        unmatched = [
            [importer, imported]
            for importer, imported in entries(contract_options.get("ignore_imports", ""))
            if importer not in in_graph or imported not in in_graph
            or not report.graph.direct_import_exists(importer=importer, imported=imported)
        ]
        result["contracts"].append({
            "id": contract_options.get("id", ""), "name": contract.name,
            "type": contract_options.get("type", ""), "kept": bool(check.kept),
            "warnings": [str(w) for w in check.warnings], "chains": chains,
            "problems": problems, "modules": sorted(set(modules)),
            "unmatched_ignores": unmatched,
        })
except BaseException as exc:
    result["error"] = f"{type(exc).__name__}: {exc}".strip().splitlines()[0]
sys.stdout.write("\n" + MARKER + json.dumps(result) + "\n")
sys.stdout.flush()
os._exit(0)
""".replace("MARKER", repr(_MARKER))


@dataclass(frozen=True)
class Link:
    """One import: ``importer -> imported`` (with line numbers when import-linter has them)."""

    importer: str
    imported: str
    line_numbers: tuple[int, ...] = ()
    where: str = ""  # "path:line" when a contract names the place itself

    def __str__(self) -> str:
        lines = ",".join(str(n) for n in self.line_numbers)
        return f"{self.importer} -> {self.imported}" + (f" (l.{lines})" if lines else "")


@dataclass(frozen=True)
class Chain:
    """A chain of imports that breaks a contract; ``alternates`` are other first/last links
    import-linter found for the same middle."""

    links: tuple[Link, ...]
    alternates: tuple[Link, ...] = ()

    def __str__(self) -> str:
        if len(self.links) == 1:
            return str(self.links[0])
        return " -> ".join([self.links[0].importer, *(link.imported for link in self.links)])


@dataclass(frozen=True)
class ContractResult:
    id: str
    name: str
    type: str
    kept: bool
    warnings: tuple[str, ...] = ()
    chains: tuple[Chain, ...] = ()
    problems: tuple[str, ...] = ()  # violations that are not imports (a file that exists, ...)
    modules: tuple[str, ...] = ()  # the modules those problems are about
    unmatched_ignores: tuple[tuple[str, str], ...] = ()  # allowlist entries matching no import

    def describe(self) -> str:
        what = [*(str(chain) for chain in self.chains), *self.problems]
        return f"{self.name}: " + ("; ".join(what) if what else "broken")


@dataclass(frozen=True)
class ContractsReport:
    """import-linter's verdict on a tree. ``error``: it could not run at all (missing layer,
    unparsable file, unknown contract type...)."""

    error: str | None
    contracts: tuple[ContractResult, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return self.error is None and all(contract.kept for contract in self.contracts)

    @property
    def broken(self) -> tuple[ContractResult, ...]:
        return tuple(contract for contract in self.contracts if not contract.kept)

    def contract(self, contract_id: str) -> ContractResult | None:
        return next((c for c in self.contracts if c.id == contract_id), None)


def _link(data: dict[str, object]) -> Link:
    numbers = data.get("line_numbers") or []
    return Link(
        str(data["importer"]),
        str(data["imported"]),
        tuple(int(n) for n in numbers if isinstance(n, int)) if isinstance(numbers, list) else (),
        str(data.get("where", "")),
    )


def _contract(data: dict[str, object]) -> ContractResult:
    def strings(key: str) -> tuple[str, ...]:
        value = data.get(key) or []
        return tuple(str(item) for item in value) if isinstance(value, list) else ()

    chains = data.get("chains") or []
    unmatched = data.get("unmatched_ignores") or []
    return ContractResult(
        id=str(data.get("id", "")),
        name=str(data.get("name", "")),
        type=str(data.get("type", "")),
        kept=bool(data.get("kept")),
        warnings=strings("warnings"),
        chains=tuple(
            Chain(
                tuple(_link(link) for link in chain.get("links", [])),
                tuple(_link(link) for link in chain.get("alternates", [])),
            )
            for chain in (chains if isinstance(chains, list) else [])
            if isinstance(chain, dict)
        ),
        problems=strings("problems"),
        modules=strings("modules"),
        unmatched_ignores=tuple(
            (str(pair[0]), str(pair[1]))
            for pair in (unmatched if isinstance(unmatched, list) else [])
            if isinstance(pair, list) and len(pair) == 2
        ),
    )


@timed(CONTRACTS)
def probe_contracts(
    root: Path,
    src: str,
    config: Path | str,
    *,
    masked: Collection[str] = (),
    timeout: float = 600.0,
) -> ContractsReport:
    """import-linter's verdict on ``config`` for the tree at ``root`` (import root ``src``).

    ``config`` may lie outside the tree (a candidate file not yet written); it is read as
    ``lint-imports CONFIG`` would read it, from ``root`` with ``<root>/<src>`` and ``root`` on the
    path (``contracts`` is importable from ``root``). ``masked``: root-relative ``.py`` files
    that do not parse; import-linter sees each as an empty module (in a copy of its package, the
    tree is never touched), since it cannot build a graph over a file it cannot parse.
    """
    root = Path(os.path.realpath(root))
    config_path = Path(config) if Path(config).is_absolute() else root / config
    if not config_path.is_file():
        return ContractsReport(f"import-linter config not found: {config}")
    with _masked_view(root, src, masked) as view:
        return _probe(root, [*view, root / src, root], config_path, timeout)


@contextmanager
def _masked_view(root: Path, src: str, masked: Collection[str]) -> Iterator[list[Path]]:
    """A folder to put first on the path, holding a copy of every top-level package (or module)
    of the import root that holds a ``masked`` file, with those files empty; [] when none."""
    base = root / src
    tops = {
        PurePosixPath(path).relative_to(PurePosixPath(src)).parts[0]
        if src not in ("", ".")
        else PurePosixPath(path).parts[0]
        for path in masked
    }
    if not tops:
        yield []
        return
    with scratch_dir("contracts-view") as view:
        for top in sorted(tops):
            if (base / top).is_dir():
                shutil.copytree(base / top, view / top, symlinks=True, ignore=_NOT_READ)
            elif (base / top).is_file():
                shutil.copy2(base / top, view / top)
        for path in masked:
            inside = PurePosixPath(path)
            if src not in ("", "."):
                inside = inside.relative_to(PurePosixPath(src))
            target = view.joinpath(*inside.parts)
            if target.parent.is_dir():
                target.write_bytes(b"")
        yield [view]


_NOT_READ = shutil.ignore_patterns("__pycache__", "*.pyc")


def _probe(root: Path, path: list[Path], config_path: Path, timeout: float) -> ContractsReport:
    command = [sys.executable, "-c", _CHILD, str(config_path)]
    try:
        process = run_child(command, root, child_env(path), timeout)
    except subprocess.TimeoutExpired:
        return ContractsReport(f"import-linter did not finish within {timeout:g} s")
    for line in reversed(process.stdout.splitlines()):
        if line.startswith(_MARKER):
            data = json.loads(line[len(_MARKER) :])
            return ContractsReport(
                data.get("error"),
                tuple(_contract(c) for c in data.get("contracts", []) if isinstance(c, dict)),
            )
    last = tail(process.stderr, 1) or f"exit status {process.returncode}"
    return ContractsReport(f"import-linter crashed: {last}")


def probe_text(
    root: Path,
    src: str,
    text: str,
    *,
    masked: Collection[str] = (),
    timeout: float = 600.0,
) -> ContractsReport:
    """import-linter's verdict on a candidate config ``text`` (not written to the tree)."""
    with scratch_dir("contracts") as scratch:
        candidate = scratch / "candidate.importlinter"
        candidate.write_text(text, encoding="utf-8")
        return probe_contracts(root, src, candidate, masked=masked, timeout=timeout)
