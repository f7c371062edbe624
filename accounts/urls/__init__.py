"""Web UI routes of the CRM, one module per area (records, pipeline and forecast, activities)."""

from django.urls import include, path

from accounts.views import pickers, search

app_name = "accounts"

urlpatterns = [
    path("", include("accounts.urls.records")),
    path("", include("accounts.urls.pipeline")),
    path("", include("accounts.urls.activities")),
    path("search/", search.search, name="search"),
    path("pick/<slug:kind>/", pickers.picker, name="picker"),
]
