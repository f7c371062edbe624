"""Writes of opportunities: status and probability rules, closing, money, lifetime value."""

from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.choices import CLOSED_STATUSES, DEFAULT_STATUS_PROBABILITY, CloseReason, OpportunityStatus
from accounts.models import Opportunity, OpportunityStatusProbability
from accounts.registry import customer_types
from accounts.services.lifetime import lifetime_apply_change, opportunity_contribution
from accounts.services.records import record_delete, record_save
from backoffice.db import retry_on_conflict, service_atomic
from backoffice.models import Organization, User
from backoffice.money import money_to_base

# What closing sets, whatever the organization's defaults or the rep's estimate.
CLOSED_PROBABILITY = {OpportunityStatus.WON: Decimal("100"), OpportunityStatus.LOST: Decimal("0")}


def status_probabilities(*, organization_id: int) -> dict[str, Decimal]:
    """Default probability (percent) per status for an organization: its own, else the built-in."""
    defaults = {status.value: Decimal(value) for status, value in DEFAULT_STATUS_PROBABILITY.items()}
    for status, probability in OpportunityStatusProbability.objects.filter(organization_id=organization_id).values_list(
        "status", "probability"
    ):
        defaults[status] = probability
    return defaults


@service_atomic
def status_probability_set(*, actor: User, status: str, probability: Decimal) -> None:
    """Change an organization's default probability of a status (managers and admins)."""
    if not actor.can_manage_organization:
        raise PermissionDenied("Only sales managers and admins change the default probabilities.")
    OpportunityStatusProbability.objects.update_or_create(
        organization_id=actor.organization_id, status=status, defaults={"probability": probability}
    )


def _apply_customer(data: dict) -> dict:
    """Turn a `customer` object into the generic pair, checking its type is registered."""
    if "customer" not in data:
        return data
    data = dict(data)
    customer = data.pop("customer")
    if customer is None:
        data["customer_type"], data["customer_id"] = None, None
        return data
    registered = customer_types.for_model(type(customer))
    if registered is None:
        raise ValidationError({"customer": f"{type(customer)._meta.verbose_name} cannot be an opportunity's customer."})
    account = data.get("account")
    customer_account_id = getattr(customer, f"{registered.account_field}_id")
    if account is not None and customer_account_id != account.pk:
        raise ValidationError({"customer": f"{customer} belongs to another account."})
    if account is None:
        data["account"] = getattr(customer, registered.account_field)
    data["customer_type"] = ContentType.objects.get_for_model(type(customer))
    data["customer_id"] = customer.pk
    data["_customer"] = customer
    return data


def _apply_status_rules(opportunity: Opportunity, data: dict, organization_id: int) -> dict:
    """Probability follows the status unless the rep set their own; closing sets it to 100 % (won) or 0 %
    (lost) and stamps closed_at; reopening goes back to the new status' default."""
    data = dict(data)
    defaults = status_probabilities(organization_id=organization_id)
    old_status = opportunity.status if opportunity.pk else None
    new_status = data.get("status", old_status or OpportunityStatus.IN_PROGRESS)
    data["status"] = new_status
    if opportunity.pk is None:
        if data.get("probability") is None:
            data["probability"] = defaults[new_status]
    elif new_status != old_status:
        submitted = data.get("probability", opportunity.probability)
        unchanged = submitted is None or Decimal(submitted) == opportunity.probability
        if unchanged and (opportunity.probability == defaults[old_status] or old_status in CLOSED_STATUSES):
            data["probability"] = defaults[new_status]
    was_closed = old_status in CLOSED_STATUSES
    is_closed = new_status in CLOSED_STATUSES
    if is_closed:
        # A closed deal is certain: won counts in full and lost not at all, whatever was estimated before,
        # so a won column's weighted total equals its total.
        data["probability"] = CLOSED_PROBABILITY[new_status]
    if is_closed and (not was_closed or opportunity.closed_at is None):
        data["closed_at"] = timezone.now()
    elif not is_closed:
        data["closed_at"] = None
        if was_closed:
            data["close_reason"] = ""
    if new_status == OpportunityStatus.WON:
        data["close_reason"] = CloseReason.WON
        revenue = data.get("close_revenue", opportunity.close_revenue)
        budget = data.get("budget_amount", opportunity.budget_amount)
        if revenue is None and budget is not None:
            # Winning a deal with no revenue entered books its budget.
            data["close_revenue"] = budget
            data["close_revenue_currency"] = data.get("budget_currency", opportunity.budget_currency)
    elif new_status == OpportunityStatus.LOST and data.get("close_reason", opportunity.close_reason) in (
        "",
        "won",
    ):
        data["close_reason"] = CloseReason.OUTSOLD
    return data


def _apply_money(opportunity: Opportunity, data: dict, organization: Organization) -> dict:
    """Base-currency values are fixed when an amount or its currency is entered, not later."""
    data = dict(data)
    for amount_field in ("budget_amount", "close_revenue"):
        currency_field = "budget_currency" if amount_field == "budget_amount" else "close_revenue_currency"
        amount = data.get(amount_field, getattr(opportunity, amount_field))
        currency = data.get(currency_field, getattr(opportunity, currency_field)) or organization.base_currency
        changed = (
            opportunity.pk is None
            or amount != getattr(opportunity, amount_field)
            or currency != getattr(opportunity, currency_field)
        )
        data[currency_field] = currency if amount is not None else ""
        if changed:
            try:
                data[f"{amount_field}_base"] = money_to_base(
                    organization=organization, amount=amount, currency=currency
                )
            except ValidationError as error:
                raise ValidationError({currency_field: error.messages})
    return data


@retry_on_conflict
@service_atomic
def opportunity_save(*, actor: User, data: dict, opportunity: Opportunity | None = None) -> Opportunity:
    """Create or update an opportunity and keep the lifetime sales values right in the same transaction."""
    opportunity = opportunity or Opportunity()
    if opportunity.pk:
        stored = Opportunity.objects.select_for_update().filter(pk=opportunity.pk).first()
        if stored is None:
            raise Opportunity.DoesNotExist(f"{opportunity} was deleted meanwhile.")
        opportunity = stored
    before = opportunity_contribution(opportunity)
    organization = actor.organization if actor.organization_id else opportunity.organization
    data = _apply_customer(data)
    data.pop("_customer", None)
    if "account" in data and "customer_id" not in data and opportunity.customer_id is not None:
        registered = customer_types.for_content_type(opportunity.customer_type)
        if getattr(opportunity.customer, f"{registered.account_field}_id") != data["account"].pk:
            raise ValidationError({"account": "The opportunity's customer belongs to another account."})
    data = _apply_status_rules(opportunity, data, organization.pk)
    data = _apply_money(opportunity, data, organization)
    opportunity = record_save(actor=actor, instance=opportunity, data=data, locked=opportunity.pk is not None)
    lifetime_apply_change(before=before, after=opportunity_contribution(opportunity), actor=actor)
    return opportunity


@retry_on_conflict
@service_atomic
def opportunity_change_status(*, actor: User, opportunity: Opportunity, status: str) -> Opportunity:
    """Move an opportunity to another status (the pipeline board's drag and drop)."""
    if status not in OpportunityStatus.values:
        raise ValidationError({"status": f"Unknown status {status!r}."})
    return opportunity_save(actor=actor, opportunity=opportunity, data={"status": status})


@retry_on_conflict
@service_atomic
def opportunity_delete(*, actor: User, opportunity: Opportunity) -> None:
    """Delete an opportunity; a won one takes its value out of the lifetime values."""
    # The stored row, not the caller's copy, says what the opportunity contributed.
    stored = Opportunity.objects.select_for_update().filter(pk=opportunity.pk).first()
    if stored is None:
        raise Opportunity.DoesNotExist(f"{opportunity} was deleted meanwhile.")
    opportunity = stored
    before = opportunity_contribution(opportunity)
    record_delete(actor=actor, instance=opportunity)
    lifetime_apply_change(before=before, after=None, actor=actor)
