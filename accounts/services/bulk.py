"""Bulk actions of the record lists: reassign the owner of, or delete, several records at once.

Each record goes through the same service as one by one, in its own transaction, so the rights and
rules are exactly those of the single action: what the actor may not do is refused with its reason
and the rest is done.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError

from accounts.models import Account, BusinessCustomer, Contact, Lead, Opportunity, Task
from accounts.services.activities import activity_delete, task_save
from accounts.services.opportunities import opportunity_delete, opportunity_save
from accounts.services.records import account_save, business_customer_save, contact_save, lead_save, record_delete
from backoffice.access import can_write
from backoffice.models import User

# The most rows one bulk action takes: the largest list page.
BULK_MAX_RECORDS = 100


@dataclass
class BulkOutcome:
    """What a bulk action did: the records done and, for each refused one, why."""

    verb: str
    done: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the user, such as "3 reassigned, 1 refused: Acme deal (owned by Sam Seller)."."""
        text = f"{len(self.done)} {self.verb}"
        if self.refused:
            reasons = "; ".join(f"{name} ({reason})" for name, reason in self.refused)
            text += f", {len(self.refused)} refused: {reasons}"
        return text + "."


def _reason(actor: User, instance, error: Exception) -> str:
    if isinstance(error, PermissionDenied) and not can_write(actor, instance):
        owner = getattr(instance, "owner", None)
        if owner is not None:
            return f"owned by {owner.display_name}; only the owner and managers can change it"
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or "refused"


def _each(*, actor: User, instances: Iterable, verb: str, write: Callable) -> BulkOutcome:
    outcome = BulkOutcome(verb=verb)
    for instance in list(instances)[:BULK_MAX_RECORDS]:
        name = str(instance)
        try:
            # Every service opens its own transaction here: a refusal undoes that record only.
            write(instance)
        except (PermissionDenied, ValidationError, ObjectDoesNotExist) as error:
            outcome.refused.append((name, _reason(actor, instance, error)))
        else:
            outcome.done.append(name)
    return outcome


def _reassign_one(*, actor: User, instance, owner: User) -> None:
    data = {"owner": owner}
    if isinstance(instance, Opportunity):
        opportunity_save(actor=actor, opportunity=instance, data=data)
    elif isinstance(instance, Account):
        account_save(actor=actor, account=instance, data=data)
    elif isinstance(instance, Contact):
        contact_save(actor=actor, contact=instance, data=data)
    elif isinstance(instance, BusinessCustomer):
        business_customer_save(actor=actor, customer=instance, data=data)
    elif isinstance(instance, Lead):
        lead_save(actor=actor, lead=instance, data=data)
    elif isinstance(instance, Task):
        task_save(actor=actor, task=instance, data=data)
    else:
        raise ValidationError(f"{type(instance)._meta.verbose_name} cannot be reassigned here.")


def _delete_one(*, actor: User, instance) -> None:
    if isinstance(instance, Opportunity):
        opportunity_delete(actor=actor, opportunity=instance)
    elif isinstance(instance, Task):
        activity_delete(actor=actor, activity=instance)
    else:
        record_delete(actor=actor, instance=instance)


def records_reassign(*, actor: User, instances: Iterable, owner: User) -> BulkOutcome:
    """Give each record (at most BULK_MAX_RECORDS) a new owner, through its own save service."""
    return _each(
        actor=actor,
        instances=instances,
        verb="reassigned",
        write=lambda instance: _reassign_one(actor=actor, instance=instance, owner=owner),
    )


def records_delete(*, actor: User, instances: Iterable) -> BulkOutcome:
    """Delete each record (at most BULK_MAX_RECORDS) through its own delete service."""
    return _each(
        actor=actor,
        instances=instances,
        verb="deleted",
        write=lambda instance: _delete_one(actor=actor, instance=instance),
    )
