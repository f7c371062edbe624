"""What the commerce pages need beside the services: a customer's ancestors (to refuse a cycle on the form
with every other message), and a customer edit that refuses a stale page before anything moves."""

from backoffice.db import retry_on_conflict, service_atomic
from backoffice.models import User
from backoffice.records import StaleRecordError
from commerce.models import CommerceCustomer
from commerce.services.customers import _ancestor_ids, customer_update


def customer_ancestor_ids(*, customer_id: int) -> list[int]:
    """The customer and its ancestors up to its root (bounded by the hierarchy's maximum depth)."""
    return _ancestor_ids(customer_id)


@retry_on_conflict
@service_atomic
def customer_update_from_page(*, actor: User, customer: CommerceCustomer, data: dict) -> CommerceCustomer:
    """`customer_update` for a form opened at `data["version"]`: refused if the customer changed since.

    The version is compared first, under the same locks the update takes (its root, then itself): the
    update's own account and parent moves raise the version before its generic check would compare it.
    """
    data = dict(data)
    version = data.pop("version", None)
    if version is not None:
        root_id = CommerceCustomer.objects.filter(pk=customer.pk).values_list("root_id", flat=True).first()
        if root_id is not None:
            CommerceCustomer.objects.filter(pk=root_id).select_for_update().values_list("pk", flat=True).first()
        stored = CommerceCustomer.objects.filter(pk=customer.pk).select_for_update().values_list("version", flat=True)
        stored = stored.first()
        if stored is not None and stored != int(version):
            raise StaleRecordError(
                {
                    "version": f"{customer} was changed by someone else after you opened it. "
                    "Reload it to see their change, then make yours again."
                }
            )
    return customer_update(actor=actor, customer=customer, data=data)
