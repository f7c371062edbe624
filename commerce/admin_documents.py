"""Admin screens of shipments and invoices, scoped to the admin's organization; every write goes through the
services (commerce.services.documents), so the admin refuses what the web pages and the API refuse."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from backoffice.admin import OrganizationScopedAdmin, owner_column
from backoffice.forms import apply_service_errors
from commerce.choices import OrderStatus
from commerce.models import Invoice, InvoiceLine, Order, Shipment, ShipmentLine
from commerce.services import documents as services
from commerce.services.documents import MAX_DOCUMENT_ORDERS


class _ReadOnlyLines(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        # The same people as the document's own screen (organization admins), not Django's model permissions.
        user = request.user
        return user.is_superuser or (user.is_active and user.is_staff and user.is_org_admin)


class ShipmentLineInline(_ReadOnlyLines):
    model = ShipmentLine
    fields = ["order", "product", "quantity"]
    readonly_fields = fields


class InvoiceLineInline(_ReadOnlyLines):
    model = InvoiceLine
    fields = ["order", "product", "quantity", "unit_price", "amount", "voided"]
    readonly_fields = fields


class _DocumentAddForm(forms.ModelForm):
    """Orders of the admin's organization (not cancelled); the service checks the rest and saves."""

    orders = forms.ModelMultipleChoiceField(
        queryset=Order.objects.none(),
        help_text=f"Orders of one customer, at most {MAX_DOCUMENT_ORDERS}.",
    )
    saved = None
    request = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.request.user
        orders = Order.objects.select_related("customer").exclude(status=OrderStatus.CANCELLED)
        if not user.is_superuser:
            orders = orders.filter(organization_id=user.organization_id)
        self.fields["orders"].queryset = orders.order_by("customer__name", "-placed_at", "-id")
        self.fields["orders"].label_from_instance = lambda order: f"{order.customer} · {order} ({order.total})"

    def clean_orders(self):
        orders = self.cleaned_data["orders"]
        if len(orders) > MAX_DOCUMENT_ORDERS:
            raise ValidationError(f"Choose at most {MAX_DOCUMENT_ORDERS} orders.")
        return orders

    def make(self):
        raise NotImplementedError

    def _post_clean(self):
        if self._errors:
            return
        try:
            with transaction.atomic():
                self.saved = self.make()
        except (ValidationError, PermissionDenied) as error:
            apply_service_errors(self, error)


class ShipmentAddForm(_DocumentAddForm):
    shipped = forms.BooleanField(required=False, label="Shipped now")

    class Meta:
        model = Shipment
        fields = []

    def make(self):
        return services.shipment_create(
            actor=self.request.user, orders=list(self.cleaned_data["orders"]), shipped=self.cleaned_data["shipped"]
        )


class InvoiceAddForm(_DocumentAddForm):
    issued_on = forms.DateField(required=False, help_text="Today when left empty.")
    due_on = forms.DateField(required=False, help_text="30 days after issue when left empty.")

    class Meta:
        model = Invoice
        fields = []

    def make(self):
        data = self.cleaned_data
        return services.invoice_create(
            actor=self.request.user,
            orders=list(data["orders"]),
            issued_on=data.get("issued_on"),
            due_on=data.get("due_on"),
        )


class _DocumentAdmin(OrganizationScopedAdmin):
    """Documents are made here from orders and moved on by actions; once made, their fields are read-only."""

    add_form = None
    add_fields: list[str] = []
    detail_fields: list[str] = []
    list_select_related = ["customer", "owner"]
    search_fields = ["number", "customer__name", "crm_reference"]

    def get_fields(self, request, obj=None):
        return self.add_fields if obj is None else self.detail_fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.detail_fields

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = type(self.add_form.__name__, (self.add_form,), {"request": request})
            kwargs["fields"] = self.add_fields
        return super().get_form(request, obj, change=change, **kwargs)

    def save_model(self, request, obj, form, change):
        """The add form made the document through the service while it validated."""
        if not change and form.saved is not None:
            obj.pk, obj.number = form.saved.pk, form.saved.number
            obj._state.adding = False

    def save_related(self, request, form, formsets, change):
        """Lines are written by the service; nothing to save here."""

    def _apply(self, request, queryset, service, done: str, kwarg: str) -> None:
        self.run_each(request, queryset, lambda row: service(actor=request.user, **{kwarg: row}), done)


@admin.register(Shipment)
class ShipmentAdmin(_DocumentAdmin):
    add_form = ShipmentAddForm
    add_fields = ["orders", "shipped"]
    detail_fields = ["number", "customer", "crm_reference", "status", "shipped_at", "line_count", "quantity_total"]
    list_display = ["number", "customer", "status", "line_count", "quantity_total", "shipped_at", owner_column]
    list_filter = ["status", "created_at", "shipped_at"]
    inlines = [ShipmentLineInline]
    actions = ["ship_selected", "delete_selected"]

    @admin.action(description="Ship selected shipments")
    def ship_selected(self, request, queryset):
        self._apply(request, queryset, services.shipment_ship, "shipped", "shipment")

    def delete_model(self, request, obj):
        services.shipment_delete(actor=request.user, shipment=obj)

    def delete_queryset(self, request, queryset):
        self._apply(request, queryset, services.shipment_delete, "deleted", "shipment")

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or obj.status == "pending")


@admin.register(Invoice)
class InvoiceAdmin(_DocumentAdmin):
    add_form = InvoiceAddForm
    add_fields = ["orders", "issued_on", "due_on"]
    detail_fields = [
        "number",
        "customer",
        "crm_reference",
        "status",
        "issued_on",
        "due_on",
        "currency",
        "subtotal",
        "discount",
        "total",
    ]
    list_display = ["number", "customer", "status", "issued_on", "due_on", "currency", "total", owner_column]
    list_filter = ["status", "currency", "issued_on"]
    inlines = [InvoiceLineInline]
    actions = ["pay_selected", "void_selected"]

    @admin.action(description="Mark selected invoices paid")
    def pay_selected(self, request, queryset):
        self._apply(request, queryset, services.invoice_pay, "paid", "invoice")

    @admin.action(description="Void selected invoices")
    def void_selected(self, request, queryset):
        self._apply(request, queryset, services.invoice_void, "voided", "invoice")

    def has_delete_permission(self, request, obj=None):
        return False  # an invoice is voided, never deleted
