"""Edits to .importlinter: the allowlist block, root_packages, the protected module list."""

from __future__ import annotations

import pytest
from shimkit.apply import ApplyError, read_protected_modules, render_allowlist, render_root_packages

CONFIG = """\
# Contracts of the tracked codebase.

[importlinter]
root_packages =
    orchestration
    infrastructure
contract_types =
    protected_shims: contracts.protected_shims.ProtectedShimsContract

# the shims
[importlinter:contract:shims-protected]
name = Shim modules are imported only by allowlisted legacy modules
type = protected_shims
protected_modules =
    orchestration.mlflow_utils
    orchestration.jobs.tracking.mlflow_utils
allowed_importers =
    orchestration.jobs.tracking.utils
ignore_imports =
    # allowlist:begin
    old.entry -> orchestration.mlflow_utils
    # allowlist:end

[importlinter:contract:layers]
name = Layers
type = layers
layers =
    orchestration
    infrastructure
"""


def test_only_the_block_between_markers_changes() -> None:
    entries = [
        ("orchestration.b", "orchestration.mlflow_utils"),
        ("orchestration.a", "orchestration.jobs.tracking.mlflow_utils"),
        ("orchestration.b", "orchestration.mlflow_utils"),
    ]
    text = render_allowlist(CONFIG, "shims-protected", entries)
    assert text == CONFIG.replace(
        "    old.entry -> orchestration.mlflow_utils\n",
        "    orchestration.a -> orchestration.jobs.tracking.mlflow_utils\n"
        "    orchestration.b -> orchestration.mlflow_utils\n",
    )
    assert render_allowlist(text, "shims-protected", entries) == text


@pytest.mark.parametrize(
    "which",
    [
        "shims-protected",
        "importlinter:contract:shims-protected",
        "Shim modules are imported only by allowlisted legacy modules",
    ],
)
def test_contract_found_by_id_section_or_name(which: str) -> None:
    text = render_allowlist(CONFIG, which, [])
    assert "    # allowlist:begin\n    # allowlist:end\n" in text
    assert "old.entry" not in text


def test_contract_without_ignore_imports_gets_a_block() -> None:
    text = render_allowlist(CONFIG, "layers", [("infrastructure.x", "orchestration.y")])
    assert text.endswith(
        "    infrastructure\nignore_imports =\n    # allowlist:begin\n"
        "    infrastructure.x -> orchestration.y\n    # allowlist:end\n"
    )


def test_missing_markers_or_contract_is_an_error() -> None:
    no_markers = CONFIG.replace("    # allowlist:begin\n", "").replace("    # allowlist:end\n", "")
    with pytest.raises(ApplyError, match="no '# allowlist:begin'"):
        render_allowlist(no_markers, "shims-protected", [])
    with pytest.raises(ApplyError, match="without '# allowlist:end'"):
        render_allowlist(CONFIG.replace("    # allowlist:end\n", ""), "shims-protected", [])
    with pytest.raises(ApplyError, match="no contract 'nope'"):
        render_allowlist(CONFIG, "nope", [])


def test_root_packages_rewritten_in_place() -> None:
    text = render_root_packages(CONFIG, ["orchestration", "common", "infrastructure"])
    assert text == CONFIG.replace(
        "root_packages =\n    orchestration\n    infrastructure\n",
        "root_packages =\n    common\n    infrastructure\n    orchestration\n",
    )
    single = CONFIG.replace(
        "root_packages =\n    orchestration\n    infrastructure\n", "root_package = orchestration\n"
    )
    assert "root_packages =\n    a\n    b\ncontract_types" in render_root_packages(
        single, ["b", "a"]
    )


def test_read_protected_modules() -> None:
    assert read_protected_modules(CONFIG) == (
        "orchestration.mlflow_utils",
        "orchestration.jobs.tracking.mlflow_utils",
    )
    with pytest.raises(ApplyError, match=r"cannot parse \.importlinter"):
        read_protected_modules("no section header\n")


def test_crlf_is_kept() -> None:
    crlf = CONFIG.replace("\n", "\r\n")
    text = render_allowlist(crlf, "shims-protected", [("a.b", "c.d")])
    assert text == crlf.replace("old.entry -> orchestration.mlflow_utils", "a.b -> c.d")
