"""rewrite_source: names a shim re-exported under an alias get their original name back."""

from __future__ import annotations

import textwrap

import pytest
from shimkit.domain.model import Moves
from shimkit.rewrite import RewriteError, rewrite_source

OLD = "shop.legacy.prices"  # re-exports from two modules, one name under an alias
MONEY = "shop.legacy.money"  # moved whole into CORE, one name under an alias
CORE = "shop.core.pricing"
TAX = "shop.core.tax"

MOVES = Moves(
    names={
        (OLD, "price"): CORE,
        (OLD, "discount"): CORE,
        (OLD, "vat"): TAX,
        (OLD, "levy"): TAX,
        (MONEY, "price"): CORE,
        (MONEY, "discount"): CORE,
    },
    modules={MONEY: CORE},
    renames={
        (OLD, "price"): "compute_price",
        (OLD, "vat"): "vat_rate",
        (MONEY, "price"): "compute_price",
    },
)


def rewrite(text: str, importer: str | None = "shop.cart", is_package: bool = False) -> str:
    source = textwrap.dedent(text)
    outcome = rewrite_source(source, "src/shop/cart.py", MOVES, importer, is_package)
    again = rewrite_source(outcome.text, "src/shop/cart.py", MOVES, importer, is_package)
    assert again.text == outcome.text and again.engine is None, "rewriting twice must be a no-op"
    return outcome.text


def check(before: str, after: str, **kwargs: object) -> None:
    assert rewrite(before, **kwargs) == textwrap.dedent(after)  # type: ignore[arg-type]


def test_a_renamed_name_is_imported_under_its_original_name_keeping_the_local_name() -> None:
    check(
        """\
        from shop.legacy.prices import price  # the price
        from shop.legacy.prices import price, discount
        """,
        """\
        from shop.core.pricing import compute_price as price  # the price
        from shop.core.pricing import compute_price as price, discount
        """,
    )


def test_an_aliased_import_of_a_renamed_name_keeps_the_alias() -> None:
    check(
        """\
        from shop.legacy.prices import price as p
        from shop.legacy.prices import (
            discount as d,  # d
            price   as   p,  # p
        )
        """,
        """\
        from shop.core.pricing import compute_price as p
        from shop.core.pricing import (
            discount as d,  # d
            compute_price as p,  # p
        )
        """,
    )


def test_an_alias_equal_to_the_original_name_collapses() -> None:
    check(
        """\
        from shop.legacy.prices import price as compute_price
        from shop.legacy.prices import discount, price as compute_price
        """,
        """\
        from shop.core.pricing import compute_price
        from shop.core.pricing import discount, compute_price
        """,
    )


def test_a_split_statement_renames_per_item_and_keeps_the_layout() -> None:
    check(
        """\
        from shop.legacy.prices import (  # noqa: F401
            # what it costs
            price,  # base
            vat as v,  # tax
            discount,
            levy,  # levy
            price as compute_price,
        )
        from shop.legacy.prices import price, vat, discount
        """,
        """\
        from shop.core.pricing import (  # noqa: F401
            # what it costs
            compute_price as price,  # base
            discount,
            compute_price,
        )
        from shop.core.tax import (  # noqa: F401
            vat_rate as v,  # tax
            levy,  # levy
        )
        from shop.core.pricing import compute_price as price, discount
        from shop.core.tax import vat_rate as vat
        """,
    )


def test_a_relative_import_of_a_renamed_name_in_a_try_collapses_staying_relative() -> None:
    check(
        """\
        try:
            from .legacy.prices import price
        except ImportError:
            from shop.legacy.prices import price
        """,
        """\
        from .core.pricing import compute_price as price
        """,
        importer="shop",
        is_package=True,
    )


def test_a_module_alias_with_a_single_target_renames_the_attribute_uses() -> None:
    check(
        """\
        import shop.legacy.prices as sp

        total = sp.price(cart) - sp.discount(cart) + sp . price.cache
        """,
        """\
        import shop.core.pricing as sp

        total = sp.compute_price(cart) - sp.discount(cart) + sp . compute_price.cache
        """,
    )


def test_a_module_alias_with_several_targets_imports_renamed_names_under_the_local_name() -> None:
    check(
        """\
        import shop.legacy.prices as sp


        def total(cart):
            return sp.price(cart) + sp.vat(cart) - sp.discount(cart) + sp.levy
        """,
        """\
        from shop.core.pricing import compute_price as price, discount
        from shop.core.tax import levy, vat_rate as vat


        def total(cart):
            return price(cart) + vat(cart) - discount(cart) + levy
        """,
    )


def test_module_alias_expansion_refuses_a_local_name_bound_to_something_else() -> None:
    with pytest.raises(RewriteError, match="`price` is already bound"):
        rewrite(
            """\
            import shop.legacy.prices as sp
            from shop.core.pricing import price

            sp.price(sp.vat)
            """
        )
    check(  # the very same binding is no clash
        """\
        import shop.legacy.prices as sp
        from shop.legacy.prices import price

        sp.price(sp.vat)
        """,
        """\
        from shop.core.pricing import compute_price as price
        from shop.core.tax import vat_rate as vat
        from shop.core.pricing import compute_price as price

        price(vat)
        """,
    )


def test_submodule_imports_rename_the_attribute_uses_or_expand() -> None:
    check(
        """\
        from shop.legacy import prices
        from shop.legacy import prices as sp
        from shop.legacy import money

        prices.price(money.price, money)
        sp.price(sp.vat)
        """,
        """\
        from shop.core import pricing as prices
        from shop.core.pricing import compute_price as price
        from shop.core.tax import vat_rate as vat
        from shop.core import pricing as money

        prices.compute_price(money.compute_price, money)
        price(vat)
        """,
    )


def test_a_dotted_module_import_renames_the_attribute_of_its_uses() -> None:
    check(
        """\
        import shop.legacy.prices

        shop.legacy.prices.price(shop.legacy.prices.discount)
        """,
        """\
        import shop.core.pricing

        shop.core.pricing.compute_price(shop.core.pricing.discount)
        """,
    )


def test_a_renamed_attribute_inside_an_f_string_is_an_error() -> None:
    with pytest.raises(RewriteError, match="f-string"):
        rewrite(
            """\
            import shop.legacy.prices as sp
            print(f"{sp.price}", sp.discount)
            """
        )


def test_a_star_import_of_a_module_with_renamed_names_is_an_error() -> None:
    with pytest.raises(RewriteError, match="import \\*"):
        rewrite("from shop.legacy.money import *\n")


def test_strings_name_the_original_name() -> None:
    check(
        """\
        patch("shop.legacy.prices.price")
        patch('shop.legacy.money.price')
        patch("shop.legacy.prices.discount")
        import_module("shop.legacy.money")
        """,
        """\
        patch("shop.core.pricing.compute_price")
        patch('shop.core.pricing.compute_price')
        patch("shop.core.pricing.discount")
        import_module("shop.core.pricing")
        """,
    )
