from django.urls import path

from backoffice.api import platform, views

urlpatterns = [
    path("me/", views.MeView.as_view(), name="api-me"),
    path("users/", views.UserListView.as_view(), name="api-user-list"),
    path("users/<int:pk>/", views.UserDetailView.as_view(), name="api-user-detail"),
    path("health/", views.HealthView.as_view(), name="api-health"),
    path("jobs/<int:pk>/", platform.JobDetailView.as_view(), name="api-job-detail"),
    path("settings/", platform.SettingsListView.as_view(), name="api-settings"),
    path("settings/<str:key>/", platform.SettingsSectionView.as_view(), name="api-settings-section"),
]
