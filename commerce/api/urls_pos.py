"""REST routes of promotions, the POS customer selector and POS sales, under /api/commerce/."""

from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from commerce.api import pos
from commerce.api.promotions import PromotionViewSet

router = SimpleRouter()
router.register("promotions", PromotionViewSet, basename="api-commerce-promotion")

urlpatterns = [
    path("selector/", pos.SelectorView.as_view(), name="api-commerce-selector"),
    path("selector/customers/", pos.SelectorCustomersView.as_view(), name="api-commerce-selector-customers"),
    re_path(
        r"^selector/customers/(?P<reference>[^/]{1,200})/$",
        pos.SelectorCustomerView.as_view(),
        name="api-commerce-selector-customer",
    ),
    path("pos/price/", pos.PosPriceView.as_view(), name="api-commerce-pos-price"),
    path("pos/sales/", pos.PosSaleView.as_view(), name="api-commerce-pos-sales"),
    *router.urls,
]
