"""Back-office routes of promotions, mounted at /sales/."""

from django.urls import path

from commerce.promotions_views import views

app_name = "commerce-promotions"

urlpatterns = [
    path("promotions/", views.promotion_list, name="promotion-list"),
    path("promotions/export.csv", views.promotion_export, name="promotion-export"),
    path("promotions/new/", views.promotion_form, name="promotion-create"),
    path("promotions/<int:pk>/", views.promotion_detail, name="promotion-detail"),
    path("promotions/<int:pk>/edit/", views.promotion_form, name="promotion-update"),
    path("promotions/<int:pk>/activate/", views.promotion_activate, name="promotion-activate"),
    path("promotions/<int:pk>/deactivate/", views.promotion_deactivate, name="promotion-deactivate"),
]
