"""Admin screens of commerce, scoped to the admin's organization; every write goes through the services."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.admin import ServiceAdmin
from backoffice.admin import OrganizationScopedAdmin, owner_column
from commerce import services
from commerce.models import CommerceCustomer, CustomerGroup, CustomerUser, Order, OrderLine, Payment, Product, Refund


@admin.register(CustomerGroup)
class CustomerGroupAdmin(ServiceAdmin):
    save_service = staticmethod(services.customer_group_save)
    instance_kwarg = "group"
    list_display = ["name", "created_at"]
    search_fields = ["name"]
    actions = []


@admin.register(CommerceCustomer)
class CommerceCustomerAdmin(ServiceAdmin):
    """Customers: on create the account may be left empty (the strategy gives one); on edit it is required."""

    list_display = ["name", "parent", "account", "group", "lifetime_value", owner_column]
    list_select_related = ["parent", "account", "group", "owner"]
    list_filter = [("group", admin.RelatedOnlyFieldListFilter), "created_at"]
    search_fields = ["name", "account__name"]
    fields = ["name", "parent", "group", "owner", "account", "lifetime_value", "previous_account"]
    readonly_fields = ["lifetime_value", "previous_account"]
    actions = []

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        if "account" in form_class.base_fields:
            field = form_class.base_fields["account"]
            field.required = obj is not None
            field.help_text = (
                "The account this customer belongs to."
                if obj is not None
                else "Leave empty to let the account-creation strategy give one."
            )
        return form_class

    def _save_through_service(self, request, form, change: bool):
        if change:
            customer = CommerceCustomer.objects.get(pk=form.instance.pk)
            data = {name: form.cleaned_data[name] for name in form.changed_data if name in form.cleaned_data}
            return services.customer_update(actor=request.user, customer=customer, data=data)
        data = form.cleaned_data
        return services.customer_create(
            actor=request.user,
            name=data["name"],
            parent=data.get("parent"),
            group=data.get("group"),
            owner=data.get("owner"),
            account=data.get("account"),
        )

    def delete_model(self, request, obj):
        raise PermissionDenied("Customers are not deleted here: move their orders and deals first.")

    def has_delete_permission(self, request, obj=None):
        return False


class CustomerUserForm(forms.ModelForm):
    new_password = forms.CharField(
        label="Password",
        required=False,
        strip=False,
        max_length=services.customers.PASSWORD_MAX_LENGTH,
        widget=forms.PasswordInput(render_value=False),
        help_text="Required for a new user; leave empty to keep the current one.",
    )

    class Meta:
        model = CustomerUser
        fields = ["first_name", "last_name", "email", "customer", "enabled", "confirmed"]


@admin.register(CustomerUser)
class CustomerUserAdmin(ServiceAdmin):
    form = CustomerUserForm
    list_display = ["email", "first_name", "last_name", "customer", "enabled", "confirmed"]
    list_select_related = ["customer"]
    list_filter = ["enabled", "confirmed"]
    search_fields = ["email", "first_name", "last_name", "customer__name"]
    actions = []

    def _save_through_service(self, request, form, change: bool):
        data = dict(form.cleaned_data)
        password = data.pop("new_password", "") or None
        if change:
            customer_user = CustomerUser.objects.get(pk=form.instance.pk)
            changed = {name: data[name] for name in form.changed_data if name in data}
            return services.customer_user_update(
                actor=request.user, customer_user=customer_user, data=changed, password=password
            )
        if password is None:
            raise ValidationError({"new_password": "Give the new user a password."})
        return services.customer_user_create(actor=request.user, password=password, **data)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Product)
class ProductAdmin(ServiceAdmin):
    save_service = staticmethod(services.product_save)
    instance_kwarg = "product"
    list_display = ["sku", "name", "unit_price", "currency", "active"]
    list_filter = ["active", "currency"]
    search_fields = ["sku", "name"]
    actions = []

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = ["product", "quantity", "unit_price", "amount"]
    readonly_fields = fields


class PaymentInline(ReadOnlyInline):
    model = Payment
    fields = ["amount", "method", "paid_at"]
    readonly_fields = fields


class RefundInline(ReadOnlyInline):
    model = Refund
    fields = ["amount", "amount_base", "reason", "refunded_at"]
    readonly_fields = fields


class OrderForm(forms.ModelForm):
    class Meta:
        model = Order
        fields = ["number", "status"]


@admin.register(Order)
class OrderAdmin(OrganizationScopedAdmin):
    """Orders are placed by the POS, the storefront and the API; here they are read, moved along and cancelled."""

    form = OrderForm
    list_display = ["number", "customer", "status", "payment_status", "currency", "total", "placed_at"]
    list_select_related = ["customer"]
    list_filter = ["status", "payment_status", "currency", "placed_at"]
    search_fields = ["number", "customer__name", "crm_reference"]
    readonly_fields = [
        "customer",
        "crm_reference",
        "customer_user",
        "currency",
        "subtotal",
        "discount",
        "total",
        "base_subtotal",
        "paid_amount",
        "refunded_amount",
        "payment_status",
        "placed_at",
    ]
    inlines = [OrderLineInline, PaymentInline, RefundInline]
    actions = ["cancel_selected"]

    def has_add_permission(self, request):
        return False

    def _save_through_services(self, request, form) -> None:
        data = {name: form.cleaned_data[name] for name in form.changed_data if name in form.cleaned_data}
        order = Order.objects.get(pk=form.instance.pk)
        if data.get("status") == "cancelled":
            data.pop("status")
            order = services.order_cancel(actor=request.user, order=order)
        if data:
            services.order_update(actor=request.user, order=order, data=data)

    def save_model(self, request, obj, form, change):
        """The form wrote through the services while it validated; nothing is left to save."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        admin_model = self

        class ServiceOrderForm(form_class):
            def _post_clean(self):
                if self._errors:
                    return
                from django.db import transaction

                from backoffice.forms import apply_service_errors

                try:
                    with transaction.atomic():
                        admin_model._save_through_services(request, self)
                except (ValidationError, PermissionDenied) as error:
                    apply_service_errors(self, error)

        return ServiceOrderForm

    def save_related(self, request, form, formsets, change):
        """Lines, payments and refunds are read-only here; nothing to save."""

    def delete_model(self, request, obj):
        services.order_delete(actor=request.user, order=obj)

    def delete_queryset(self, request, queryset):
        for order in queryset:
            services.order_delete(actor=request.user, order=order)

    @admin.action(description="Cancel selected orders")
    def cancel_selected(self, request, queryset):
        self.run_each(
            request, queryset, lambda order: services.order_cancel(actor=request.user, order=order), "cancelled"
        )


# The screens of shipments and invoices, promotions, and the storefront's rows.
from commerce import admin_documents, admin_promotions, admin_storefront  # noqa: E402, F401
