"""Admin screens of the CRM; writes with rules go through the services, scoped to the admin's organization."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError

from accounts import services
from accounts.models import (
    Account,
    BusinessCustomer,
    CalendarEvent,
    Channel,
    Contact,
    Lead,
    Note,
    Opportunity,
    OpportunityStatusProbability,
    Task,
)
from backoffice.admin import OrganizationScopedAdmin
from backoffice.models import User


class ServiceAdmin(OrganizationScopedAdmin):
    """Saves through a service function `save_service(actor=, data=, <instance_kwarg>=)`."""

    save_service = staticmethod(services.record_save)
    instance_kwarg = "instance"
    m2m_fields: tuple[str, ...] = ()
    exclude = ["organization"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        model = db_field.related_model
        if not request.user.is_superuser and (model is User or hasattr(model, "organization_id")):
            field = "organization" if model is User or hasattr(model, "organization") else None
            if field:
                kwargs["queryset"] = model._default_manager.filter(organization_id=request.user.organization_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if not request.user.is_superuser:
            kwargs["queryset"] = db_field.related_model._default_manager.filter(
                organization_id=request.user.organization_id
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            data = {name: form.cleaned_data[name] for name in form.changed_data if name in form.cleaned_data}
            instance = type(obj).objects.get(pk=obj.pk)
        else:
            data, instance = dict(form.cleaned_data), type(obj)()
        try:
            saved = self.save_service(actor=request.user, data=data, **{self.instance_kwarg: instance})
        except (ValidationError, PermissionDenied) as error:
            text = "; ".join(getattr(error, "messages", None) or [str(error)])
            self.message_user(request, f"Not saved: {text}", messages.ERROR)
            return
        obj.pk = saved.pk

    def save_related(self, request, form, formsets, change):
        if form.instance.pk:
            super().save_related(request, form, formsets, change)


@admin.register(Account)
class AccountAdmin(ServiceAdmin):
    save_service = staticmethod(services.account_save)
    instance_kwarg = "account"
    m2m_fields = ("contacts",)
    list_display = ["name", "owner", "lifetime_value", "updated_at"]
    list_select_related = ["owner"]
    search_fields = ["name"]
    autocomplete_fields = ["referred_by"]
    filter_horizontal = ["contacts"]


@admin.register(Contact)
class ContactAdmin(ServiceAdmin):
    # E-mails and phones are lists kept by contact_save (the web UI edits them); shown here only.
    readonly_fields = ["email", "phone"]
    list_display = ["last_name", "first_name", "email", "phone", "owner"]
    list_select_related = ["owner"]
    search_fields = ["last_name", "first_name", "email"]


@admin.register(BusinessCustomer)
class BusinessCustomerAdmin(ServiceAdmin):
    save_service = staticmethod(services.business_customer_save)
    instance_kwarg = "customer"
    # E-mails and phones are lists kept by business_customer_save (the web UI edits them); shown here only.
    readonly_fields = ["email", "phone"]
    list_display = ["name", "account", "email", "phone", "lifetime_value", "owner"]
    list_select_related = ["account", "owner"]
    search_fields = ["name"]


@admin.register(Lead)
class LeadAdmin(ServiceAdmin):
    list_display = ["name", "company_name", "status", "source", "owner"]
    list_filter = ["status"]
    list_select_related = ["owner"]
    search_fields = ["name", "company_name", "last_name"]


@admin.register(Opportunity)
class OpportunityAdmin(ServiceAdmin):
    save_service = staticmethod(services.opportunity_save)
    instance_kwarg = "opportunity"
    list_display = ["name", "account", "status", "probability", "budget_amount_base", "expected_close_date", "owner"]
    list_filter = ["status"]
    list_select_related = ["account", "owner"]
    search_fields = ["name", "account__name"]
    exclude = ["organization", "customer_type", "customer_id"]
    readonly_fields = ["closed_at", "budget_amount_base", "close_revenue_base"]

    def delete_model(self, request, obj):
        services.opportunity_delete(actor=request.user, opportunity=obj)

    def delete_queryset(self, request, queryset):
        for opportunity in queryset:
            services.opportunity_delete(actor=request.user, opportunity=opportunity)


@admin.register(Task)
class TaskAdmin(ServiceAdmin):
    save_service = staticmethod(services.task_save)
    instance_kwarg = "task"
    list_display = ["subject", "status", "priority", "due_at", "owner"]
    list_filter = ["status", "priority"]
    list_select_related = ["owner"]
    exclude = ["organization", "related_type", "related_id"]


@admin.register(CalendarEvent)
class CalendarEventAdmin(ServiceAdmin):
    save_service = staticmethod(services.event_save)
    instance_kwarg = "event"
    m2m_fields = ("attendees",)
    list_display = ["title", "start", "end", "all_day", "owner"]
    list_select_related = ["owner"]
    exclude = ["organization", "related_type", "related_id", "series"]


@admin.register(Note)
class NoteAdmin(ServiceAdmin):
    list_display = ["__str__", "owner", "created_at"]
    list_select_related = ["owner"]
    exclude = ["organization", "related_type", "related_id"]


@admin.register(Channel)
class ChannelAdmin(OrganizationScopedAdmin):
    list_display = ["name", "channel_type"]

    def has_add_permission(self, request):
        return False


@admin.register(OpportunityStatusProbability)
class OpportunityStatusProbabilityAdmin(OrganizationScopedAdmin):
    """Each organization's default probability per status; a missing row means the built-in default."""

    list_display = ["status", "probability"]
    exclude = ["organization"]

    def save_model(self, request, obj, form, change):
        services.status_probability_set(actor=request.user, status=obj.status, probability=obj.probability)
