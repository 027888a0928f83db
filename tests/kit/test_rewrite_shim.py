"""normalize_shim: a kept compatibility shim in the canonical format."""

from __future__ import annotations

from shimkit.rewrite import DEFAULT_NOTICE, normalize_shim

LEGACY = '''\
from __future__ import annotations

"""Backward compatibility helpers for tracking.

Old import paths keep working.
"""

import warnings

try:
    from infrastructure.tracking.mlflow.utils import retry_with_backoff
except ImportError:
    retry_with_backoff = None
try:
    from infrastructure.tracking.mlflow.urls import get_mlflow_run_url
except ImportError:  # pragma: no cover
    get_mlflow_run_url = None
from infrastructure.tracking.mlflow.runs import create_child_run

warnings.warn("deprecated", DeprecationWarning, stacklevel=2)

__all__ = ['retry_with_backoff', 'get_mlflow_run_url', 'create_child_run']
'''

EXPORTS = {
    "retry_with_backoff": "infrastructure.tracking.mlflow.utils",
    "get_mlflow_run_url": "infrastructure.tracking.mlflow.urls",
    "create_child_run": "infrastructure.tracking.mlflow.runs",
}


def test_a_legacy_shim_is_normalised() -> None:
    assert normalize_shim(LEGACY, EXPORTS) == (
        '"""Backward compatibility helpers for tracking.\n'
        "\n"
        "Old import paths keep working.\n"
        "\n"
        f"{DEFAULT_NOTICE}\n"
        '"""\n'
        "\n"
        "from __future__ import annotations\n"
        "\n"
        "from infrastructure.tracking.mlflow.runs import create_child_run\n"
        "from infrastructure.tracking.mlflow.urls import get_mlflow_run_url\n"
        "from infrastructure.tracking.mlflow.utils import retry_with_backoff\n"
        "\n"
        '__all__ = ["create_child_run", "get_mlflow_run_url", "retry_with_backoff"]\n'
    )


def test_normalising_is_idempotent_keeps_crlf_and_an_existing_notice() -> None:
    once = normalize_shim(LEGACY.replace("\n", "\r\n"), EXPORTS)
    assert "\r\n" in once and "\n" not in once.replace("\r\n", "")
    assert normalize_shim(once, EXPORTS) == once
    assert once.count("Compatibility layer") == 1


def test_a_shim_without_docstring_gets_the_notice_and_long_lists_wrap() -> None:
    exports = {f"name_{i:02d}": "pkg.source" for i in range(12)}
    text = normalize_shim("from pkg.source import *\n", exports, notice="Compatibility layer.")
    names = [f"name_{i:02d}" for i in range(12)]
    assert text == (
        '"""Compatibility layer."""\n\n'
        "from pkg.source import (\n" + "".join(f"    {n},\n" for n in names) + ")\n\n"
        "__all__ = [\n" + "".join(f'    "{n}",\n' for n in names) + "]\n"
    )


def test_names_re_exported_under_an_alias_are_imported_as_their_original_name() -> None:
    legacy = (
        '"""Prices. Compatibility layer."""\n'
        "from shop.core.tax import vat_rate as vat, levy\n"
        "from shop.core.pricing import compute_price as price, discount, apply as zeta\n"
    )
    exports = {
        "price": "shop.core.pricing",
        "discount": "shop.core.pricing",
        "zeta": "shop.core.pricing",
        "vat": "shop.core.tax",
        "levy": "shop.core.tax",
    }
    renames = {"price": "compute_price", "zeta": "apply", "vat": "vat_rate"}
    text = normalize_shim(legacy, exports, renames=renames)
    assert text == (
        '"""Prices. Compatibility layer."""\n'
        "\n"
        "from shop.core.pricing import apply as zeta, compute_price as price, discount\n"
        "from shop.core.tax import levy, vat_rate as vat\n"
        "\n"
        '__all__ = ["discount", "levy", "price", "vat", "zeta"]\n'
    )
    assert normalize_shim(text, exports, renames=renames) == text
    long_exports = {f"name_{i}": "pkg.source" for i in range(8)}
    wrapped = normalize_shim(
        "", long_exports, notice="Compatibility layer.", renames={"name_0": "zz_original_0"}
    )
    assert wrapped == (
        '"""Compatibility layer."""\n\n'
        "from pkg.source import (\n"
        + "".join(f"    name_{i},\n" for i in range(1, 8))
        + "    zz_original_0 as name_0,\n"
        ")\n\n"
        "__all__ = [" + ", ".join(f'"name_{i}"' for i in range(8)) + "]\n"
    )
