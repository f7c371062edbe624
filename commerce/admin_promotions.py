"""Admin screens of promotions (and, read-only, the discounts they gave), written through the services."""

from django.contrib import admin

from accounts.admin import ServiceAdmin
from commerce.models import AppliedPromotion, Promotion
from commerce.services.pricing import promotion_conditions
from commerce.services.promotions import promotion_delete, promotion_save


@admin.register(Promotion)
class PromotionAdmin(ServiceAdmin):
    """Promotions of the admin's organization; saving runs the same checks as the API (bounds, scope, currency)."""

    save_service = staticmethod(promotion_save)
    instance_kwarg = "promotion"
    m2m_fields = ("products",)
    list_display = ["name", "kind", "value", "currency", "scope", "valid_from", "valid_to", "priority", "active"]
    list_filter = ["active", "kind", "scope", "valid_from", "valid_to"]
    search_fields = ["name"]
    filter_horizontal = ["products"]
    fields = [
        "name",
        ("kind", "value", "currency"),
        "scope",
        "products",
        ("valid_from", "valid_to"),
        "minimum_subtotal",
        "customer_group",
        "conditions",
        "condition_match",
        ("priority", "exclusive"),
        "active",
    ]
    actions = []

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "conditions" and field is not None:
            kinds = ", ".join(sorted(promotion_conditions.items))
            field.help_text = (
                'A list of {"kind": ..., "params": {...}}, such as [{"kind": "crm_property", "params": '
                '{"field": "category", "operator": "equals", "value": "VIP"}}]. Kinds: ' + kinds + "."
            )
        return field

    def save_related(self, request, form, formsets, change):
        """The products were saved with the promotion, through the service."""

    def delete_model(self, request, obj):
        promotion_delete(actor=request.user, promotion=obj)


@admin.register(AppliedPromotion)
class AppliedPromotionAdmin(ServiceAdmin):
    """What promotions took off order lines: kept with the orders, never edited."""

    list_display = ["order", "line", "name", "amount", "created_at"]
    list_select_related = ["order", "line"]
    search_fields = ["name", "order__number"]
    actions = []

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
