from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from backoffice import platform_views, views

urlpatterns = [
    # The home page is the CRM's dashboard (named "home").
    path("", include("accounts.urls.dashboard")),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("me/", views.my_user, name="my-user"),
    path("configuration/", platform_views.configuration, name="configuration"),
    path("configuration/crm-connector/", include("crmconnector.urls")),
    path("configuration/<str:key>/", platform_views.configuration, name="configuration-section"),
    path("jobs/<int:pk>/", platform_views.job_detail, name="job-detail"),
    path("jobs/<int:pk>/progress/", platform_views.job_progress, name="job-progress"),
    path("jobs/<int:pk>/cancel/", platform_views.job_cancel_view, name="job-cancel"),
    path("history/<str:record_type>/<int:pk>/", platform_views.history_fragment, name="record-history"),
    path("records/<str:record_type>/<int:pk>/archive/", platform_views.record_archive_view, name="record-archive"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/", include("backoffice.api.urls")),
    path("api/crm/", include("accounts.api.urls")),
    path("api/outlook/", include("outlooksync.api_urls")),
    path("api/commerce/", include("commerce.api.urls")),
    path("outlook/", include("outlooksync.urls")),
    path("crm/", include("accounts.urls")),
    path("sales/", include("commerce.documents_views.urls")),
    path("store/", include("commerce.storefront.urls")),
    path("sales/", include("commerce.backoffice_quotes.urls")),
    path("sales/", include("commerce.promotions_views.urls")),
    path("commerce/", include("commerce.urls")),
    path("pos/", include("commerce.urls_pos")),
]

handler400 = "backoffice.error_pages.bad_request"
handler404 = "backoffice.error_pages.page_not_found"
handler500 = "backoffice.error_pages.server_error"
