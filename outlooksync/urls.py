from django.urls import path

from outlooksync import views

app_name = "outlooksync"

urlpatterns = [
    path("", views.outlook_home, name="home"),
    path("connection/", views.outlook_connection, name="connection"),
    path("sync/", views.outlook_sync, name="sync"),
    path("preview/", views.outlook_preview, name="preview"),
    path("plugin/download/", views.plugin_download, name="plugin-download"),
    path("plugin/upload/", views.plugin_upload_view, name="plugin-upload"),
    path("runs/<int:pk>/", views.outlook_run, name="run"),
    path("history/<str:record_type>/<int:pk>/", views.record_sync_history, name="record-history"),
    path("runs/<int:pk>/fragment/", views.outlook_run_fragment, name="run-fragment"),
    path("alerts/<int:pk>/acknowledge/", views.outlook_alert, {"decision": "acknowledge"}, name="alert-acknowledge"),
    path("alerts/<int:pk>/confirm/", views.outlook_alert, {"decision": "confirm"}, name="alert-confirm"),
    path("alerts/<int:pk>/cancel/", views.outlook_alert, {"decision": "cancel"}, name="alert-cancel"),
]
