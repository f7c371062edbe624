"""REST routes of commerce under /api/commerce/ (trailing slash)."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from commerce.api import documents, storefront, views

router = DefaultRouter()
router.register("customers", views.CustomerViewSet, basename="api-commerce-customer")
router.register("customer-groups", views.CustomerGroupViewSet, basename="api-commerce-customergroup")
router.register("customer-users", views.CustomerUserViewSet, basename="api-commerce-customeruser")
router.register("products", views.ProductViewSet, basename="api-commerce-product")
router.register("orders", views.OrderViewSet, basename="api-commerce-order")
router.register("shipments", documents.ShipmentViewSet, basename="api-commerce-shipment")
router.register("invoices", documents.InvoiceViewSet, basename="api-commerce-invoice")
router.register("shopping-lists", storefront.ShoppingListViewSet, basename="api-commerce-shoppinglist")
router.register("rfqs", storefront.RequestForQuoteViewSet, basename="api-commerce-rfq")
router.register("quotes", storefront.QuoteViewSet, basename="api-commerce-quote")

urlpatterns = [
    path("account-strategy/", views.AccountStrategyView.as_view(), name="api-commerce-account-strategy"),
    path(
        "account-strategy/preview/",
        views.AccountStrategyPreviewView.as_view(),
        name="api-commerce-account-strategy-preview",
    ),
    path("storefront/sign-up/", storefront.StorefrontSignUpView.as_view(), name="api-commerce-storefront-sign-up"),
    path("web-store/batch/", views.WebStoreBatchView.as_view(), name="api-commerce-web-store-batch"),
    *router.urls,
    path("", include("commerce.api.urls_pos")),
]
