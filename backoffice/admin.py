"""Admin screens. Superusers see every organization; organization admins only their own."""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from backoffice.models import (
    ApiKey,
    ChangeLogEntry,
    CurrencyRate,
    ExternalReference,
    Job,
    Organization,
    User,
    WorkerHeartbeat,
)
from backoffice.selectors import organization_scope
from backoffice.services import api_key_revoke_many


class PersonListFilter(admin.RelatedOnlyFieldListFilter):
    """A list filter on a person (owner, actor): only the people the admin's rows name, by their full name."""

    def field_choices(self, field, request, model_admin):
        shown = model_admin.get_queryset(request).distinct().values_list(f"{self.field_path}__pk", flat=True)
        people = field.related_model._default_manager.filter(pk__in=shown)
        return sorted(((person.pk, person.display_name) for person in people), key=lambda choice: choice[1].lower())


def person_column(field: str, description: str):
    """A list column naming the person in `field` by their full name (the username only when they have none)."""

    @admin.display(description=description, ordering=f"{field}__last_name")
    def column(obj) -> str:
        person = getattr(obj, field)
        return person.display_name if person is not None else "—"

    column.__name__ = f"{field}_name"
    return column


owner_column = person_column("owner", "owner")


# Rows one admin action runs its service on: each is a transaction of its own, so a request stays short.
ADMIN_ACTION_MAX_ROWS = 100


class OrganizationScopedAdmin(admin.ModelAdmin):
    """Limits rows to the admin's organization and lets organization admins manage them."""

    organization_field = "organization"

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        if not request.user.is_superuser:
            # A filter by organization would list every organization's name: superusers only.
            filters = [f for f in filters if f != "organization"]
        return filters

    def get_queryset(self, request):
        return organization_scope(super().get_queryset(request), actor=request.user, field=self.organization_field)

    def run_each(self, request, queryset, call, done: str) -> None:
        """An action's service call on each selected row (at most ADMIN_ACTION_MAX_ROWS, in id order), then
        one message with how many were done and one per refusal, naming the row and why."""
        rows = list(queryset.order_by("pk")[: ADMIN_ACTION_MAX_ROWS + 1])
        if len(rows) > ADMIN_ACTION_MAX_ROWS:
            self.message_user(
                request, f"Select at most {ADMIN_ACTION_MAX_ROWS} rows at a time: nothing was done.", messages.ERROR
            )
            return
        count, refused = 0, []
        for row in rows:
            try:
                call(row)
                count += 1
            except (ValidationError, PermissionDenied) as error:
                refused.append(f"{row}: {'; '.join(getattr(error, 'messages', None) or [str(error)])}")
        if count:
            self.message_user(request, f"{count} {done}.", messages.SUCCESS)
        for text in refused:
            self.message_user(request, f"Not {done}: {text}", messages.ERROR)

    def _is_org_admin(self, request) -> bool:
        return request.user.is_active and request.user.is_staff and request.user.is_org_admin

    def has_module_permission(self, request):
        return request.user.is_superuser or self._is_org_admin(request)

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser or self._is_org_admin(request)

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser or self._is_org_admin(request)

    def has_add_permission(self, request):
        return request.user.is_superuser or self._is_org_admin(request)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser or self._is_org_admin(request)


@admin.register(Organization)
class OrganizationAdmin(OrganizationScopedAdmin):
    organization_field = "pk"
    list_display = ["name", "base_currency", "time_zone", "created_at"]
    list_filter = ["base_currency", "created_at"]
    search_fields = ["name"]

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(User)
class UserAdmin(OrganizationScopedAdmin, BaseUserAdmin):
    list_display = ["full_name", "username", "email", "organization", "role", "is_active"]
    list_filter = ["role", "is_active", "date_joined", "last_login", "organization"]
    list_select_related = ["organization"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Person", {"fields": ("first_name", "last_name", "email")}),
        ("Organization", {"fields": ("organization", "role", "is_active", "is_staff")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"fields": ("username", "organization", "role", "password1", "password2")}),)
    readonly_fields = ["last_login", "date_joined"]

    @admin.display(description="name", ordering="last_name")
    def full_name(self, obj) -> str:
        return obj.get_full_name() or "—"

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser and obj is not None:
            fieldsets = (*fieldsets, ("System", {"fields": ("is_superuser",)}))
        return fieldsets

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "organization" and not request.user.is_superuser:
            kwargs["queryset"] = Organization.objects.filter(pk=request.user.organization_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_changeform_initial_data(self, request):
        return {"organization": request.user.organization_id}

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser:
            # An organization admin can never move a user to another organization or make a superuser.
            obj.organization_id = request.user.organization_id
            obj.is_superuser = False
        super().save_model(request, obj, form, change)


@admin.register(ApiKey)
class ApiKeyAdmin(OrganizationScopedAdmin):
    """Keys are listed and revoked here; the key itself and its digest are never shown."""

    organization_field = "user__organization"
    list_display = ["prefix_display", person_column("user", "user"), "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter), ("user", PersonListFilter), "created_at", "last_used_at"]
    list_select_related = ["user"]
    search_fields = ["user__username", "prefix"]
    fields = ["user", "prefix_display", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = fields
    actions = ["revoke_selected"]

    @admin.display(description="Key")
    def prefix_display(self, obj):
        return f"{obj.prefix}…"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Revoke selected API keys")
    def revoke_selected(self, request, queryset):
        count = api_key_revoke_many(api_keys=queryset)
        self.message_user(request, f"Revoked {count} API key(s).", messages.SUCCESS)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["worker", "beat_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(CurrencyRate)
class CurrencyRateAdmin(OrganizationScopedAdmin):
    """Exchange rates into the organization's base currency, by the day they start to apply."""

    list_display = ["currency", "rate", "valid_from", "organization"]
    list_filter = ["currency", "valid_from", "organization"]

    def get_exclude(self, request, obj=None):
        return [] if request.user.is_superuser else ["organization"]

    def save_model(self, request, obj, form, change):
        if not change and not request.user.is_superuser:
            obj.organization_id = request.user.organization_id
        super().save_model(request, obj, form, change)


class ReadOnlyScopedAdmin(OrganizationScopedAdmin):
    """Rows the system writes: admins read them, nobody edits them here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ChangeLogEntry)
class ChangeLogEntryAdmin(ReadOnlyScopedAdmin):
    list_display = [
        "created_at",
        "action",
        "content_type",
        "object_repr",
        "object_id",
        "version",
        person_column("actor", "actor"),
        "origin",
    ]
    list_filter = ["action", "origin", "content_type", ("actor", PersonListFilter), "created_at", "organization"]
    list_select_related = ["actor", "content_type"]
    search_fields = ["object_repr", "=object_id"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in ChangeLogEntry._meta.fields]


@admin.register(Job)
class JobAdmin(ReadOnlyScopedAdmin):
    list_display = [
        "id",
        "kind",
        "state",
        "done",
        "total",
        "requests",
        person_column("requested_by", "requested by"),
        "created_at",
        "finished_at",
    ]
    list_filter = ["kind", "state", ("requested_by", PersonListFilter), "created_at", "finished_at", "organization"]
    list_select_related = ["requested_by"]
    readonly_fields = [f.name for f in Job._meta.fields]

    def view_on_site(self, obj):
        return reverse("job-detail", args=[obj.pk])


@admin.register(ExternalReference)
class ExternalReferenceAdmin(ReadOnlyScopedAdmin):
    list_display = ["system", "external_id", "content_type", "object_id", "updated_at"]
    list_filter = ["system", "content_type", "updated_at", "organization"]
    search_fields = ["external_id"]
    readonly_fields = [f.name for f in ExternalReference._meta.fields]
