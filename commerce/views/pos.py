"""The POS page: a cashier's screen over the POS endpoints (products, customer selector, pricing, sales).

The page is a shell; the scripts do the work through the same REST endpoints another POS front end would use.
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from backoffice.menu import SECTIONS, MenuEntry, menu

POS_URL_NAME = "commerce_pos:home"


@login_required
@require_GET
def pos_page(request):
    """The point of sale: basket, customer, payment."""
    return render(
        request,
        "commerce/pos/pos.html",
        {
            "products_api": reverse("api-commerce-product-list"),
            "selector_api": reverse("api-commerce-selector"),
            "price_api": reverse("api-commerce-pos-price"),
            "sales_api": reverse("api-commerce-pos-sales"),
        },
    )


def register_pos_menu() -> None:
    """The POS in the "Sales" menu (under Commerce while the menu has no Sales section)."""
    section = "sales" if "sales" in dict(SECTIONS) else "commerce"
    menu.register(MenuEntry(section, "POS", POS_URL_NAME, order=900))
