"""The Commerce channel section of the account page and the account's activity sources, plugged in through
the CRM's registry (accounts never imports commerce)."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, F, IntegerField, OuterRef, Subquery, Window
from django.db.models.functions import Coalesce, RowNumber

from accounts.models import AccountChannelValue, Opportunity
from accounts.registry import AccountSection, ActivitySource, account_registry
from commerce.models import CommerceCustomer, CustomerUser, Order, Quote, RequestForQuote, ShoppingList

# Customers shown per account page, and rows per customer in each list: the page stays bounded whatever
# the hierarchy holds (each list's own page, filtered by the customer, shows the rest).
CUSTOMERS_SHOWN = 20
ROWS_SHOWN = 10


def _count(queryset, field: str = "customer"):
    """How many rows of `queryset` point at the outer customer, as a correlated subquery (no join fan-out)."""
    counted = queryset.filter(**{field: OuterRef("pk")}).order_by().values(field).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _latest(queryset, ids: list[int], order_by: list[str], field: str = "customer_id") -> dict[int, list]:
    """The first ROWS_SHOWN rows of `queryset` per customer of `ids`, in one query (a window per customer)."""
    ordering = [F(name[1:]).desc() if name.startswith("-") else F(name).asc() for name in order_by]
    rows = (
        queryset.filter(**{f"{field}__in": ids})
        .annotate(row_number=Window(RowNumber(), partition_by=[F(field)], order_by=ordering))
        .filter(row_number__lte=ROWS_SHOWN)
        .order_by(field, "row_number")
    )
    grouped: dict[int, list] = {pk: [] for pk in ids}
    for row in rows:
        grouped[getattr(row, field)].append(row)
    return grouped


def commerce_section_context(account, actor) -> dict | None:
    """The account's commerce customers, each with the latest of its users, shopping lists, requests for quote,
    quotes, orders and opportunities (and how many there are), and the account's lifetime sales value in the
    Commerce channel; None (no section) when it has no customer. The same queries whatever the numbers."""
    content_type = ContentType.objects.get_for_model(CommerceCustomer)
    opportunities = Opportunity.objects.filter(customer_type=content_type)
    customers = list(
        CommerceCustomer.objects.filter(organization_id=account.organization_id, account=account)
        .select_related("parent", "group", "channel")
        .annotate(
            user_count=_count(CustomerUser.objects.all()),
            shopping_list_count=_count(ShoppingList.objects.all()),
            rfq_count=_count(RequestForQuote.objects.all()),
            quote_count=_count(Quote.objects.all()),
            order_count=_count(Order.objects.all()),
            opportunity_count=_count(opportunities, field="customer_id"),
        )
        .order_by("depth", "name", "id")[: CUSTOMERS_SHOWN + 1]
    )
    if not customers:
        return None
    shown = customers[:CUSTOMERS_SHOWN]
    ids = [customer.pk for customer in shown]
    users = _latest(CustomerUser.objects.all(), ids, ["last_name", "first_name", "id"])
    shopping_lists = _latest(ShoppingList.objects.select_related("customer_user"), ids, ["-updated_at", "-id"])
    rfqs = _latest(RequestForQuote.objects.select_related("customer_user"), ids, ["-created_at", "-id"])
    quotes = _latest(Quote.objects.all(), ids, ["-created_at", "-id"])
    orders = _latest(Order.objects.all(), ids, ["-placed_at", "-id"])
    deals = _latest(opportunities, ids, ["-created_at", "-id"], field="customer_id")
    channel_value = (
        AccountChannelValue.objects.filter(account=account, channel_id=shown[0].channel_id)
        .values_list("amount", flat=True)
        .first()
    )
    return {
        "account": account,
        "customers": [
            {
                "customer": customer,
                "users": users[customer.pk],
                "shopping_lists": shopping_lists[customer.pk],
                "rfqs": rfqs[customer.pk],
                "quotes": quotes[customer.pk],
                "orders": orders[customer.pk],
                "opportunities": deals[customer.pk],
            }
            for customer in shown
        ],
        "more_customers": len(customers) > CUSTOMERS_SHOWN,
        "rows_shown": ROWS_SHOWN,
        "lifetime_value": channel_value,
        "base_currency": account.organization.base_currency,
    }


def register_account_section() -> None:
    account_registry.add_section(
        AccountSection(
            key="commerce",
            title="Commerce channel",
            template="commerce/account_section.html",
            context=commerce_section_context,
            order=50,
        )
    )
    # Activities of the account's commerce customers, their users and orders belong to its activity list.
    account_registry.add_activity_source(
        ActivitySource(
            model=CommerceCustomer,
            ids=lambda account_id: CommerceCustomer.objects.filter(account_id=account_id).values("pk"),
        )
    )
    account_registry.add_activity_source(
        ActivitySource(
            model=CustomerUser,
            ids=lambda account_id: CustomerUser.objects.filter(customer__account_id=account_id).values("pk"),
        )
    )
    account_registry.add_activity_source(
        ActivitySource(
            model=Order, ids=lambda account_id: Order.objects.filter(customer__account_id=account_id).values("pk")
        )
    )


__all__ = ["commerce_section_context", "register_account_section"]
