"""Admin screens of the CRM connector: configurations with their properties inline, saved through the service
so the admin applies the same rules (and the same encryption of the secret) as the configuration window."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect

from backoffice.admin import OrganizationScopedAdmin
from crmconnector.forms import BasePropertyFormSet, ConfigurationForm, PropertyForm
from crmconnector.models import CrmConnectorActivation, CrmConnectorConfiguration, CrmConnectorProperty
from crmconnector.services import PROPERTIES_ERROR_KEY, activation_update, configuration_save, connection_test


class PropertyInline(admin.StackedInline):
    model = CrmConnectorProperty
    form = PropertyForm
    formset = BasePropertyFormSet
    extra = 1
    max_num = 100

    # The same rights as the configuration itself: its organization's admins (Django permissions aside).
    def _allowed(self, request) -> bool:
        user = request.user
        return user.is_superuser or (user.is_active and user.is_staff and user.is_org_admin)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request)

    def has_add_permission(self, request, obj=None):
        return self._allowed(request)

    def has_change_permission(self, request, obj=None):
        return self._allowed(request)

    def has_delete_permission(self, request, obj=None):
        return self._allowed(request)


@admin.register(CrmConnectorConfiguration)
class CrmConnectorConfigurationAdmin(OrganizationScopedAdmin):
    form = ConfigurationForm
    inlines = [PropertyInline]
    list_display = ["name", "connector", "base_url", "timeout_seconds", "organization"]
    list_filter = ["connector", "organization"]
    search_fields = ["name", "base_url"]
    fields = ["name", "connector", "base_url", "username", "secret", "clear_secret", "timeout_seconds", "options"]
    actions = ["test_connection"]

    def has_add_permission(self, request):
        # A configuration belongs to the admin's own organization: superusers without one use the window of one.
        return bool(request.user.organization_id) and super().has_add_permission(request)

    def save_model(self, request, obj, form, change):
        # Saved with the properties in save_related (one service call checks and writes them together).
        self._pending_secret = form.secret_value()

    def save_related(self, request, form, formsets, change):
        [formset] = formsets
        properties = [f.instance for f in formset.kept_forms()]
        configuration_save(
            actor=request.user, configuration=form.instance, properties=properties, secret=self._pending_secret
        )
        # What the admin's change message reads from a formset it saved itself.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    def _changeform_view(self, request, object_id, form_url, extra_context):
        try:
            return super()._changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as error:
            # The service refused what the forms let through (rules across properties, another organization's
            # row): nothing was written (the admin's transaction is rolled back); say why.
            details = error.message_dict if hasattr(error, "error_dict") else {"": error.messages}
            for key, items in details.items():
                prefix = "" if key in ("", PROPERTIES_ERROR_KEY, "__all__") else f"{key}: "
                for item in items:
                    self.message_user(request, prefix + item, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    @admin.action(description="Test the connection")
    def test_connection(self, request, queryset):
        for configuration in queryset[:10]:
            ok, message = connection_test(actor=request.user, configuration=configuration)
            self.message_user(request, f"{configuration}: {message}", messages.SUCCESS if ok else messages.ERROR)


@admin.register(CrmConnectorActivation)
class CrmConnectorActivationAdmin(OrganizationScopedAdmin):
    list_display = ["organization", "enabled", "configuration", "updated_at"]
    list_filter = ["enabled", "organization"]
    fields = ["enabled", "configuration"]

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        """Through the service (it locks the row) for the admin's own organization; the form's model check
        applies the same rules to another organization's switch, which only a superuser reaches."""
        if obj.organization_id == request.user.organization_id:
            activation_update(actor=request.user, enabled=obj.enabled, configuration=obj.configuration)
        else:
            super().save_model(request, obj, form, change)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "configuration" and not request.user.is_superuser:
            kwargs["queryset"] = CrmConnectorConfiguration.objects.filter(organization_id=request.user.organization_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
