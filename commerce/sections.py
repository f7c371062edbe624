"""The Commerce channel section of the account page and the account's activity sources, plugged in through
the CRM's registry (accounts never imports commerce)."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count

from accounts.models import AccountChannelValue, Opportunity
from accounts.registry import AccountSection, ActivitySource, account_registry
from commerce.models import CommerceCustomer, CustomerUser, Order

# Customers shown per account page, and rows per customer in each list: the page stays bounded whatever
# the hierarchy holds (the lists' own pages show the rest).
CUSTOMERS_SHOWN = 20
ROWS_SHOWN = 10


def commerce_section_context(account, actor) -> dict | None:
    """The account's commerce customers, each with its users, latest orders and opportunities, and the
    account's lifetime sales value in the Commerce channel; None (no section) when it has no customer."""
    customers = list(
        CommerceCustomer.objects.filter(organization_id=account.organization_id, account=account)
        .select_related("parent", "group", "channel")
        .annotate(user_count=Count("users", distinct=True), order_count=Count("orders", distinct=True))
        .order_by("depth", "name", "id")[: CUSTOMERS_SHOWN + 1]
    )
    if not customers:
        return None
    shown = customers[:CUSTOMERS_SHOWN]
    ids = [customer.pk for customer in shown]
    users: dict[int, list] = {pk: [] for pk in ids}
    for user in CustomerUser.objects.filter(customer_id__in=ids).order_by("last_name", "first_name", "id"):
        if len(users[user.customer_id]) < ROWS_SHOWN:
            users[user.customer_id].append(user)
    orders: dict[int, list] = {pk: [] for pk in ids}
    for order in Order.objects.filter(customer_id__in=ids).order_by("-placed_at", "-id")[: ROWS_SHOWN * len(ids)]:
        if len(orders[order.customer_id]) < ROWS_SHOWN:
            orders[order.customer_id].append(order)
    content_type = ContentType.objects.get_for_model(CommerceCustomer)
    opportunities: dict[int, list] = {pk: [] for pk in ids}
    for opportunity in Opportunity.objects.filter(customer_type=content_type, customer_id__in=ids).order_by(
        "-created_at", "-id"
    )[: ROWS_SHOWN * len(ids)]:
        if len(opportunities[opportunity.customer_id]) < ROWS_SHOWN:
            opportunities[opportunity.customer_id].append(opportunity)
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
                "orders": orders[customer.pk],
                "opportunities": opportunities[customer.pk],
            }
            for customer in shown
        ],
        "more_customers": len(customers) > CUSTOMERS_SHOWN,
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
