"""Routes of the shipment and invoice pages, mounted at /sales/."""

from django.urls import path

from commerce.documents_views import views

app_name = "commerce_documents"

urlpatterns = [
    path("documents/customers/", views.customer_options, name="customer-options"),
]
for kind in ("shipment", "invoice"):
    urlpatterns += [
        path(f"{kind}s/", views.document_list, {"kind": kind}, name=f"{kind}-list"),
        path(f"{kind}s/new/", views.document_create, {"kind": kind}, name=f"{kind}-create"),
        path(f"{kind}s/<int:pk>/", views.document_detail, {"kind": kind}, name=f"{kind}-detail"),
        path(f"{kind}s/<int:pk>/<slug:action>/", views.document_action, {"kind": kind}, name=f"{kind}-action"),
    ]
