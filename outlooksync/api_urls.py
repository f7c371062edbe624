from django.urls import path

from outlooksync import api

urlpatterns = [
    path("settings/", api.SettingsView.as_view(), name="outlook-api-settings"),
    path("connection/", api.ConnectionView.as_view(), name="outlook-api-connection"),
    path("sync/", api.SyncView.as_view(), name="outlook-api-sync"),
    path("sync/<int:pk>/", api.RunView.as_view(), name="outlook-api-run"),
    path("status/", api.StatusView.as_view(), name="outlook-api-status"),
    path("alerts/", api.AlertListView.as_view(), name="outlook-api-alerts"),
    path(
        "alerts/<int:pk>/acknowledge/",
        api.AlertDecisionView.as_view(decision="acknowledge"),
        name="outlook-api-alert-acknowledge",
    ),
    path(
        "alerts/<int:pk>/confirm/", api.AlertDecisionView.as_view(decision="confirm"), name="outlook-api-alert-confirm"
    ),
    path("alerts/<int:pk>/cancel/", api.AlertDecisionView.as_view(decision="cancel"), name="outlook-api-alert-cancel"),
    path("preview/", api.PreviewView.as_view(), name="outlook-api-preview"),
    path("plugin/", api.PluginDownloadView.as_view(), name="outlook-api-plugin"),
]
