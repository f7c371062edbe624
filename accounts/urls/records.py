"""Routes of the CRM record pages: list, detail, create, edit and delete of every record type."""

from django.urls import path

from accounts.views import records as views
from accounts.views.lead_conversion import lead_convert
from accounts.views.record_actions import RecordBulkView, RecordExportView

PREFIXES = {
    views.ACCOUNT.key: "accounts",
    views.CONTACT.key: "contacts",
    views.BUSINESS_CUSTOMER.key: "business-customers",
    views.LEAD.key: "leads",
    views.OPPORTUNITY.key: "opportunities",
}


def record_urls(record_type: views.RecordType) -> list:
    """The routes of one record type, named <key>-list / -detail / -create / -update / -delete / -bulk / -export."""
    prefix, key = PREFIXES[record_type.key], record_type.key
    detail_view = views.DETAIL_VIEWS[key]
    return [
        path(f"{prefix}/", views.RecordListView.as_view(record_type=record_type), name=f"{key}-list"),
        path(f"{prefix}/bulk/", RecordBulkView.as_view(record_type=record_type), name=f"{key}-bulk"),
        path(f"{prefix}/export.csv", RecordExportView.as_view(record_type=record_type), name=f"{key}-export"),
        path(f"{prefix}/new/", views.RecordFormView.as_view(record_type=record_type), name=f"{key}-create"),
        path(f"{prefix}/<int:pk>/", detail_view.as_view(record_type=record_type), name=f"{key}-detail"),
        path(f"{prefix}/<int:pk>/edit/", views.RecordFormView.as_view(record_type=record_type), name=f"{key}-update"),
        path(
            f"{prefix}/<int:pk>/delete/", views.RecordDeleteView.as_view(record_type=record_type), name=f"{key}-delete"
        ),
    ]


urlpatterns: list = [url for record_type in views.RECORD_TYPES for url in record_urls(record_type)] + [
    path("leads/<int:pk>/convert/", lead_convert, name="lead-convert"),
    path("accounts/<int:pk>/value-history.csv", views.AccountValueHistoryView.as_view(), name="account-value-history"),
]
