"""REST routes of the CRM under /api/crm/."""

from django.urls import include, path

urlpatterns = [
    path("", include("accounts.api.records_urls")),
    path("", include("accounts.api.forecast")),
]
