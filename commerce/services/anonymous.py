"""The organization's anonymous customer: the customer of sales to nobody in particular, and of every order
sold to a customer of an external CRM (the order keeps only the CRM reference; see commerce.selector_crm).

One per organization (a unique partial index), a root customer with an account of its own like every other
(a root keeps its own account under both account-creation strategies, so the re-relation job leaves it as it
is). It is made when the CRM connector is switched on, on the first anonymous sale, and by the migration
0008 for the organizations that existed then; the first user who needs it owns it.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from backoffice.db import service_atomic
from backoffice.models import Organization, User
from commerce.models import CommerceCustomer

ANONYMOUS_NAME = "Anonymous customer"
NO_CHILDREN = "The anonymous customer stands alone: it has no parent and no children."


def anonymous_customer_find(*, organization_id: int) -> CommerceCustomer | None:
    """The organization's anonymous customer, or None when it has not been made yet."""
    return CommerceCustomer.objects.filter(organization_id=organization_id, is_anonymous=True).first()


@service_atomic
def anonymous_customer_get(*, actor: User) -> CommerceCustomer:
    """The actor's organization's anonymous customer, made now (owned by the actor) when it has none yet.

    Two first sales at once: the organization row is locked while one makes it, the other then finds it.
    """
    if not actor.organization_id:
        raise PermissionDenied("Only a user of an organization sells to its anonymous customer.")
    # A web request's user is a lazy proxy (loaded by the line above): the write path takes the user itself.
    actor = getattr(actor, "_wrapped", actor)
    found = anonymous_customer_find(organization_id=actor.organization_id)
    if found is not None:
        return found
    # The lock every organization-wide first write takes (backoffice.org_settings does the same).
    list(Organization.objects.select_for_update(no_key=True).filter(pk=actor.organization_id).values_list("pk"))
    found = anonymous_customer_find(organization_id=actor.organization_id)
    if found is not None:
        return found
    from commerce.services.customers import customer_create

    try:
        with transaction.atomic():
            customer = customer_create(actor=actor, name=ANONYMOUS_NAME)
            CommerceCustomer.objects.filter(pk=customer.pk).update(is_anonymous=True)
    except IntegrityError:
        # Made meanwhile by a writer that did not take the organization's lock (the migration).
        found = anonymous_customer_find(organization_id=actor.organization_id)
        if found is None:
            raise
        return found
    customer.is_anonymous = True
    return customer


def anonymous_hierarchy_check(*, customer: CommerceCustomer | None, parent: CommerceCustomer | None) -> None:
    """Refuse putting the anonymous customer under a parent or a customer under it."""
    if parent is not None and parent.is_anonymous:
        raise ValidationError({"parent": NO_CHILDREN})
    if customer is not None and parent is not None and customer.is_anonymous:
        raise ValidationError({"parent": NO_CHILDREN})
