"""Adopting the contracts (step 1 ``--write-contracts``): a ``.importlinter`` that starts green.

The kit renders the contracts from the plan and the importers it found, then asks import-linter
itself for the verdict on that very text. Every violation that already exists in the tree is a
legacy import, so it joins the allowlist of the contract it breaks (the ratchet then only
shrinks); an allowlist entry import-linter does not see as an import is dropped. What cannot be
allowlisted (a retired module still imported, a contract the kit does not manage) is left for the
user, named with the import that breaks it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from shimkit.analysis.tree_analysis import Analysis
from shimkit.application.workspace import Workspace, existing_config
from shimkit.domain.importlinter_file import ContractsState, render
from shimkit.domain.model import Moves
from shimkit.planning.contracts import contracts_state
from shimkit.verify import ContractsReport, probe_text
from shimkit.verify.contracts_probe import Chain, ContractResult, Link

PROTECTED = "shims-protected"
LAYERS = "layers"
REEXPORT_ONLY = "shims-reexport-only"
RETIRED = "retired"
# each round allowlists at least one more import; a tree needing more rounds than this has
# chains import-linter keeps re-routing, and is left for a person
MAX_ROUNDS = 8


@dataclass(frozen=True)
class Adoption:
    text: str  # the .importlinter to write
    report: ContractsReport  # import-linter's verdict on ``text``
    notes: tuple[str, ...]  # what was allowlisted or left out, for the user


def adopt_contracts(workspace: Workspace, analysis: Analysis) -> Adoption:
    existing = existing_config(workspace.root)
    state = contracts_state(workspace.plan, existing, analysis, None, Moves())
    notes: list[str] = []
    text = render(state, existing)
    masked = analysis.inventory.masked_files
    report = probe_text(workspace.root, workspace.src, text, masked=masked)
    for _ in range(MAX_ROUNDS):
        if report.ok or report.error is not None:
            break
        ranks = {layer: rank for rank, layer in enumerate(workspace.plan.layers)}
        ratcheted, found = _allowlist_violations(state, report, ranks)
        if ratcheted == state:
            break
        state, text = ratcheted, render(ratcheted, existing)
        notes.extend(found)
        report = probe_text(workspace.root, workspace.src, text, masked=masked)
    return Adoption(text, report, tuple(dict.fromkeys(notes)))


def _allowlist_violations(
    state: ContractsState, report: ContractsReport, ranks: dict[str, int]
) -> tuple[ContractsState, list[str]]:
    notes: list[str] = []
    allowlist = set(state.allowlist)
    upward = set(state.layers_allowlist)
    reexport_only = set(state.reexport_only)
    retired = set(state.retired)
    for contract in report.contracts:
        if contract.id == PROTECTED:
            allowlist -= set(contract.unmatched_ignores)
            found = {_pair(link) for chain in contract.chains for link in chain.links}
            allowlist |= found
            notes += [f"allowlisted legacy import of a shim: {a} -> {b}" for a, b in sorted(found)]
        elif contract.id == LAYERS:
            upward -= set(contract.unmatched_ignores)
            found = {_pair(_crossing(chain, ranks)) for chain in contract.chains}
            upward |= found
            notes += [f"allowlisted legacy upward import: {a} -> {b}" for a, b in sorted(found)]
        elif contract.id == REEXPORT_ONLY and not contract.kept:
            dropped = set(contract.modules) & reexport_only
            reexport_only -= dropped
            notes += [f"{m} is not re-export only yet: not in that contract" for m in dropped]
        elif contract.id == RETIRED and not contract.kept:
            dropped = _retired_still_there(contract) & retired
            retired -= dropped
            notes += [
                f"{m} is gone but still imported or present: not listed as retired until fixed"
                for m in sorted(dropped)
            ]
    ratcheted = replace(
        state,
        allowlist=tuple(sorted(allowlist)),
        layers_allowlist=tuple(sorted(upward)),
        reexport_only=tuple(sorted(reexport_only)),
        retired=tuple(sorted(retired)),
    )
    return ratcheted, notes


def _pair(link: Link) -> tuple[str, str]:
    return link.importer, link.imported


def _rank(module: str, ranks: dict[str, int]) -> int | None:
    return ranks.get(module.split(".", 1)[0])


def _crossing(chain: Chain, ranks: dict[str, int]) -> Link:
    """The import of a chain to allowlist: the first one from a lower layer into a higher one,
    else (the chain passes through packages outside the layers) the one entering the target."""
    for link in chain.links:
        importer, imported = _rank(link.importer, ranks), _rank(link.imported, ranks)
        if importer is not None and imported is not None and importer > imported:
            return link
    return chain.links[-1]


def _retired_still_there(contract: ContractResult) -> set[str]:
    return {link.imported for chain in contract.chains for link in chain.links} | set(
        contract.modules
    )
