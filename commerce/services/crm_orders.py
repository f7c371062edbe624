"""An order's CRM reference given later: an order sold to the anonymous customer (the CRM could not be reached,
or the customer was named afterwards) learns who its customer is in the external CRM."""

from django.core.exceptions import PermissionDenied, ValidationError

from backoffice.access import check_write
from backoffice.db import retry_on_conflict, service_atomic
from backoffice.models import User
from commerce.choices import OrderStatus
from commerce.models import InvoiceLine, Order, ShipmentLine
from commerce.selector import SelectorUnavailable
from commerce.services.crm_attributes import crm_category_keys_clean, crm_reference_clean
from crmconnector.connectors.base import CrmError, CrmNotFound, CrmUnavailable, CrmValidationError
from crmconnector.customers import crm_configuration_active, crm_customer_get, customer_summary
from crmconnector.services import crm_runtime


def order_crm_reference_set(*, actor: User, order: Order, reference: str) -> Order:
    """Give an order of the anonymous customer its CRM reference and category keys, read from the CRM now.

    The CRM is asked first, outside the transaction (no lock is held while it answers); then the order is
    locked and checked as stored: not cancelled, still the anonymous customer's, on no shipment or invoice.
    """
    if not actor.organization_id or order.organization_id != actor.organization_id:
        raise PermissionDenied("That order belongs to another organization.")
    reference = crm_reference_clean(reference, "reference")
    configuration = crm_configuration_active(organization_id=actor.organization_id)
    if configuration is None:
        raise ValidationError({"reference": "The CRM connector is switched off: there is no CRM to name."})
    try:
        customer = crm_customer_get(configuration=configuration, reference=reference)
    except CrmUnavailable as error:
        raise SelectorUnavailable(error.message) from None
    except (CrmNotFound, CrmValidationError) as error:
        raise ValidationError({"reference": error.message}) from None
    except CrmError as error:  # any other refusal of the CRM (a conflict, ...) is said, not a server error
        raise ValidationError({"reference": error.message}) from None
    keys = customer_summary(properties=crm_runtime(configuration).properties, customer=customer).category_keys
    return _order_crm_reference_write(
        actor=actor,
        order=order,
        reference=crm_reference_clean(customer.reference, "reference"),
        keys=crm_category_keys_clean(keys),
    )


@retry_on_conflict
@service_atomic
def _order_crm_reference_write(*, actor: User, order: Order, reference: str, keys: dict) -> Order:
    from commerce.services.orders import _lock_order, _save_order

    order, customer = _lock_order(order)
    check_write(actor, order)
    if order.status == OrderStatus.CANCELLED:
        raise ValidationError({"reference": "A cancelled order takes no CRM reference."})
    if not customer.is_anonymous:
        raise ValidationError(
            {"reference": f"This order belongs to {customer}: only orders of the anonymous customer name a CRM one."}
        )
    if order.crm_reference != reference:
        _refuse_on_documents(order)
    return _save_order(actor, order, {"crm_reference": reference, "crm_category_keys": keys})


def _refuse_on_documents(order: Order) -> None:
    """A shipment or invoice copied the order's CRM reference when it was made: the order's stays as theirs."""
    shipment = ShipmentLine.objects.filter(order_id=order.pk).values_list("shipment__number", flat=True).first()
    invoice = InvoiceLine.objects.filter(order_id=order.pk).values_list("invoice__number", flat=True).first()
    if shipment is not None or invoice is not None:
        on = f"shipment {shipment}" if shipment is not None else f"invoice {invoice}"
        raise ValidationError({"reference": f"Order {order} is on {on}, which keeps the CRM reference it had."})
