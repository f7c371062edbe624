"""REST routes of commerce under /api/commerce/ (trailing slash)."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from commerce.api import views

router = DefaultRouter()
router.register("customers", views.CustomerViewSet, basename="api-commerce-customer")
router.register("customer-groups", views.CustomerGroupViewSet, basename="api-commerce-customergroup")
router.register("customer-users", views.CustomerUserViewSet, basename="api-commerce-customeruser")
router.register("products", views.ProductViewSet, basename="api-commerce-product")
router.register("orders", views.OrderViewSet, basename="api-commerce-order")

urlpatterns = [
    path("account-strategy/", views.AccountStrategyView.as_view(), name="api-commerce-account-strategy"),
    path(
        "account-strategy/preview/",
        views.AccountStrategyPreviewView.as_view(),
        name="api-commerce-account-strategy-preview",
    ),
    path("web-store/batch/", views.WebStoreBatchView.as_view(), name="api-commerce-web-store-batch"),
    *router.urls,
    path("", include("commerce.api.urls_pos")),
]
