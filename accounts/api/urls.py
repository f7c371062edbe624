"""REST routes of the CRM under /api/crm/."""

from django.urls import include, path

from backoffice.api.platform import ChangeFeedView

urlpatterns = [
    path("", include("accounts.api.records_urls")),
    path("", include("accounts.api.forecast")),
    path("changes/", ChangeFeedView.as_view(), name="api-crm-changes"),
]
