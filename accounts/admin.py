"""Admin screens of the CRM; writes with rules go through the services, scoped to the admin's organization."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import redirect

from accounts import services
from accounts.jobs import LIFETIME_RECALCULATION
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
from backoffice.admin import OrganizationScopedAdmin, PersonListFilter, owner_column
from backoffice.forms import apply_service_errors
from backoffice.jobs import job_request
from backoffice.models import Organization, User


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

    def get_form(self, request, obj=None, change=False, **kwargs):
        """A form that saves through the service while it validates, inside the admin's transaction.

        A refusal (access rule, model check, stale version) becomes a form error and its savepoint
        is rolled back, so nothing is written and the admin says "Not saved" only.
        """
        form_class = super().get_form(request, obj, change=change, **kwargs)
        admin_site_model = self

        class ServiceForm(form_class):
            saved = None

            def _post_clean(self):
                if self._errors:
                    return
                try:
                    with transaction.atomic():
                        self.saved = admin_site_model._save_through_service(request, self, self.instance.pk is not None)
                except (ValidationError, PermissionDenied) as error:
                    apply_service_errors(self, error)

        return ServiceForm

    def _save_through_service(self, request, form, change: bool):
        model = self.model
        if change:
            data = {name: form.cleaned_data[name] for name in form.changed_data if name in form.cleaned_data}
            instance = model.objects.get(pk=form.instance.pk)
        else:
            data, instance = dict(form.cleaned_data), model()
        return self.save_service(actor=request.user, data=data, **{self.instance_kwarg: instance})

    def save_model(self, request, obj, form, change):
        # The form saved through the service while validating; the admin's own save has nothing left to do.
        obj.pk = form.saved.pk
        obj._state.adding = False

    def save_related(self, request, form, formsets, change):
        if form.instance.pk:
            super().save_related(request, form, formsets, change)

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        if hasattr(self.model, "archived_at"):
            filters.append(ArchivedFilter)
        return filters

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not hasattr(self.model, "archived_at"):
            actions.pop("archive_selected", None)
            actions.pop("restore_selected", None)
        return actions

    @admin.action(description="Archive selected %(verbose_name_plural)s")
    def archive_selected(self, request, queryset):
        self._apply(request, queryset, services.record_archive, "archived")

    @admin.action(description="Restore selected %(verbose_name_plural)s")
    def restore_selected(self, request, queryset):
        self._apply(request, queryset, services.record_restore, "restored")

    def _apply(self, request, queryset, service, done: str) -> None:
        self.run_each(request, queryset, lambda row: service(actor=request.user, instance=row), done)

    def delete_model(self, request, obj):
        services.record_delete(actor=request.user, instance=obj)

    def delete_queryset(self, request, queryset):
        for row in queryset:
            self.delete_model(request, row)

    actions = ["archive_selected", "restore_selected"]


class ArchivedFilter(admin.SimpleListFilter):
    """Active rows by default, like the web UI; archived ones on request."""

    title = "archived"
    parameter_name = "archived"

    def lookups(self, request, model_admin):
        return [("yes", "Archived"), ("all", "All")]

    def choices(self, changelist):
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": "Active",
        }
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(archived_at__isnull=False)
        if self.value() == "all":
            return queryset
        return queryset.filter(archived_at__isnull=True)


@admin.register(Account)
class AccountAdmin(ServiceAdmin):
    save_service = staticmethod(services.account_save)
    instance_kwarg = "account"
    m2m_fields = ("contacts",)
    list_display = ["name", owner_column, "lifetime_value", "updated_at"]
    list_filter = [("owner", PersonListFilter), "created_at", "updated_at", "organization"]
    list_select_related = ["owner"]
    search_fields = ["name"]
    autocomplete_fields = ["referred_by"]
    filter_horizontal = ["contacts"]
    actions = [*ServiceAdmin.actions, "recalculate_lifetime"]

    @admin.action(description="Recalculate lifetime sales values of the organization")
    def recalculate_lifetime(self, request, queryset):
        organization_ids = sorted(set(queryset.values_list("organization_id", flat=True)))
        jobs = [
            job_request(organization=Organization.objects.get(pk=pk), kind=LIFETIME_RECALCULATION, actor=request.user)
            for pk in organization_ids
        ]
        if len(jobs) == 1:
            return redirect("job-detail", pk=jobs[0].pk)
        self.message_user(request, f"{len(jobs)} recalculations queued.", messages.SUCCESS)
        return None


@admin.register(Contact)
class ContactAdmin(ServiceAdmin):
    # E-mails and phones are lists kept by contact_save (the web UI edits them); shown here only.
    readonly_fields = ["email", "phone"]
    list_display = ["last_name", "first_name", "email", "phone", owner_column]
    list_filter = [("owner", PersonListFilter), "created_at", "updated_at", "organization"]
    list_select_related = ["owner"]
    search_fields = ["last_name", "first_name", "email"]


@admin.register(BusinessCustomer)
class BusinessCustomerAdmin(ServiceAdmin):
    save_service = staticmethod(services.business_customer_save)
    instance_kwarg = "customer"
    # E-mails and phones are lists kept by business_customer_save (the web UI edits them); shown here only.
    readonly_fields = ["email", "phone"]
    list_display = ["name", "account", "email", "phone", "lifetime_value", owner_column]
    list_filter = [("owner", PersonListFilter), "created_at", "updated_at", "organization"]
    list_select_related = ["account", "owner"]
    search_fields = ["name"]


@admin.register(Lead)
class LeadAdmin(ServiceAdmin):
    list_display = ["name", "company_name", "status", "source", owner_column]
    list_filter = ["status", ("owner", PersonListFilter), "created_at", "updated_at", "organization"]
    list_select_related = ["owner"]
    search_fields = ["name", "company_name", "last_name"]


@admin.register(Opportunity)
class OpportunityAdmin(ServiceAdmin):
    save_service = staticmethod(services.opportunity_save)
    instance_kwarg = "opportunity"
    list_display = [
        "name",
        "account",
        "status",
        "probability",
        "budget_amount_base",
        "expected_close_date",
        owner_column,
    ]
    list_filter = [
        "status",
        ("owner", PersonListFilter),
        "expected_close_date",
        "closed_at",
        "created_at",
        "organization",
    ]
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
    list_display = ["subject", "status", "priority", "due_at", owner_column]
    list_filter = ["status", "priority", ("owner", PersonListFilter), "due_at", "created_at", "organization"]
    list_select_related = ["owner"]
    exclude = ["organization", "related_type", "related_id"]


@admin.register(CalendarEvent)
class CalendarEventAdmin(ServiceAdmin):
    save_service = staticmethod(services.event_save)
    instance_kwarg = "event"
    m2m_fields = ("attendees",)
    list_display = ["title", "start", "end", "all_day", owner_column]
    list_filter = [("owner", PersonListFilter), "start", "all_day", "created_at", "organization"]
    list_select_related = ["owner"]
    exclude = ["organization", "related_type", "related_id", "series"]


@admin.register(Note)
class NoteAdmin(ServiceAdmin):
    list_display = ["__str__", owner_column, "created_at"]
    list_filter = [("owner", PersonListFilter), "created_at", "organization"]
    list_select_related = ["owner"]
    exclude = ["organization", "related_type", "related_id"]


@admin.register(Channel)
class ChannelAdmin(OrganizationScopedAdmin):
    list_display = ["name", "channel_type"]
    list_filter = ["channel_type", "organization"]

    def has_add_permission(self, request):
        return False


@admin.register(OpportunityStatusProbability)
class OpportunityStatusProbabilityAdmin(OrganizationScopedAdmin):
    """Each organization's default probability per status; a missing row means the built-in default."""

    list_display = ["status", "probability"]
    list_filter = ["status", "organization"]
    exclude = ["organization"]

    def save_model(self, request, obj, form, change):
        services.status_probability_set(actor=request.user, status=obj.status, probability=obj.probability)
