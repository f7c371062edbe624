"""REST routes of the CRM records: /api/crm/accounts/, contacts/, ... (trailing slash)."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from accounts.api import views

router = DefaultRouter()
router.register("accounts", views.AccountViewSet, basename="api-crm-account")
router.register("contacts", views.ContactViewSet, basename="api-crm-contact")
router.register("business-customers", views.BusinessCustomerViewSet, basename="api-crm-businesscustomer")
router.register("leads", views.LeadViewSet, basename="api-crm-lead")
router.register("opportunities", views.OpportunityViewSet, basename="api-crm-opportunity")
router.register("tasks", views.TaskViewSet, basename="api-crm-task")
router.register("events", views.CalendarEventViewSet, basename="api-crm-event")
router.register("notes", views.NoteViewSet, basename="api-crm-note")
router.register("channels", views.ChannelViewSet, basename="api-crm-channel")

urlpatterns = [
    path("status-probabilities/", views.StatusProbabilityView.as_view(), name="api-crm-status-probabilities"),
    *router.urls,
]
