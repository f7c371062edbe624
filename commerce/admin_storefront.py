"""Admin screens of shopping lists, requests for quote and quotes: read, and quotes accepted or cancelled
through the quote services (lists and requests are the customer users' own, changed in the storefront)."""

from django.contrib import admin

from backoffice.admin import OrganizationScopedAdmin, owner_column
from commerce.models import (
    Quote,
    QuoteLine,
    RequestForQuote,
    RequestForQuoteLine,
    ShoppingList,
    ShoppingListLine,
)
from commerce.services import quotes as quote_services


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class _ReadOnlyAdmin(OrganizationScopedAdmin):
    """Rows written elsewhere (the storefront, the quote services): the admin reads them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ShoppingListLineInline(_ReadOnlyInline):
    model = ShoppingListLine
    fields = readonly_fields = ["product", "quantity"]


@admin.register(ShoppingList)
class ShoppingListAdmin(_ReadOnlyAdmin):
    list_display = ["name", "customer", "customer_user", "updated_at"]
    list_select_related = ["customer", "customer_user"]
    search_fields = ["name", "customer__name", "customer_user__email"]
    list_filter = ["updated_at"]
    inlines = [ShoppingListLineInline]


class RequestForQuoteLineInline(_ReadOnlyInline):
    model = RequestForQuoteLine
    fields = readonly_fields = ["product", "quantity"]


@admin.register(RequestForQuote)
class RequestForQuoteAdmin(_ReadOnlyAdmin):
    list_display = ["number", "customer", "customer_user", "status", "created_at"]
    list_select_related = ["customer", "customer_user"]
    search_fields = ["number", "customer__name", "customer_user__email"]
    list_filter = ["status", "created_at"]
    inlines = [RequestForQuoteLineInline]


class QuoteLineInline(_ReadOnlyInline):
    model = QuoteLine
    fields = readonly_fields = ["product", "quantity", "unit_price", "amount"]


@admin.register(Quote)
class QuoteAdmin(_ReadOnlyAdmin):
    """Quotes are made from requests on the Sales pages or through the API; here they are accepted or cancelled."""

    list_display = ["number", "customer", "status", "valid_until", "currency", "subtotal", "order", owner_column]
    list_select_related = ["customer", "order", "owner"]
    search_fields = ["number", "customer__name"]
    list_filter = ["status", "valid_until", "currency"]
    inlines = [QuoteLineInline]
    actions = ["accept_selected", "cancel_selected"]

    def has_change_permission(self, request, obj=None):
        # The actions need it on the list; the form itself has nothing editable (see get_readonly_fields).
        return OrganizationScopedAdmin.has_change_permission(self, request, obj)

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in Quote._meta.fields]

    def save_model(self, request, obj, form, change):
        """Nothing on the form is editable: writes go through the actions."""

    def _run(self, request, queryset, service, done_text: str) -> None:
        self.run_each(request, queryset, lambda quote: service(actor=request.user, quote=quote), done_text)

    @admin.action(description="Accept selected quotes (place their orders)")
    def accept_selected(self, request, queryset):
        self._run(request, queryset, quote_services.quote_accept, "accepted")

    @admin.action(description="Cancel selected quotes")
    def cancel_selected(self, request, queryset):
        self._run(request, queryset, quote_services.quote_cancel, "cancelled")
