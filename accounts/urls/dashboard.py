"""The home page (routed at the site's root by backoffice.urls)."""

from django.urls import path

from accounts.views import dashboard as views

urlpatterns = [
    path("", views.dashboard, name="home"),
]
