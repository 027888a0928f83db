"""design.md's list of the engine's layers is the one scripts/kit.importlinter holds the code to:
a layer added, dropped or reordered in one and not the other fails here."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DESIGN = REPO / "docs" / "design.md"
CONTRACTS = REPO / "scripts" / "kit.importlinter"

Layer = frozenset[str]


def contract_layers(text: str) -> list[Layer]:
    parser = configparser.ConfigParser()
    parser.read_string(text)
    lines = parser["importlinter:contract:kit-layers"]["layers"].split("\n")
    return [frozenset(m.strip() for m in line.split("|")) for line in lines if line.strip()]


def design_layers(text: str) -> list[Layer]:
    """The numbered items under "Layers, top to bottom": the ``shimkit.*`` packages each names
    before its dash."""
    section = text.split("Layers, top to bottom", 1)[1].split("\n### ", 1)[0]
    items = re.findall(r"^\d+\. (.+?) —", section, flags=re.MULTILINE)
    return [frozenset(re.findall(r"`(shimkit\.\w+)`", item)) for item in items]


def test_design_lists_the_layers_the_contract_holds() -> None:
    documented = design_layers(DESIGN.read_text(encoding="utf-8"))
    enforced = contract_layers(CONTRACTS.read_text(encoding="utf-8"))
    assert len(enforced) >= 5
    assert documented == enforced


def test_a_layer_missing_from_the_design_is_told_apart() -> None:
    text = DESIGN.read_text(encoding="utf-8")
    dropped = re.sub(r"^\d+\. `shimkit\.planning` —.*$", "", text, count=1, flags=re.MULTILINE)
    assert dropped != text
    assert design_layers(dropped) != contract_layers(CONTRACTS.read_text(encoding="utf-8"))
