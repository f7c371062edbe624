"""Storefront writes: sign-up and sign-in of customer users, their shopping lists, and requests for quote.

Customer users are not back-office users, yet every business write records an actor with rights in the
organization. The storefront therefore writes as the organization's storefront actor (the user named by
the STOREFRONT_ACTOR setting, or else its first active admin), with the origin `storefront`, and each
service checks itself that the customer user owns what it touches.
"""

import secrets

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db.models import F
from django.utils import timezone

from backoffice.changes import change_context
from backoffice.choices import Role
from backoffice.db import retry_on_conflict, service_atomic
from backoffice.models import Organization, User
from backoffice.records import record_delete, record_save
from commerce.models import (
    CustomerUser,
    Product,
    RequestForQuote,
    RequestForQuoteLine,
    ShoppingList,
    ShoppingListLine,
)
from commerce.services.customers import customer_create, customer_user_create
from commerce.services.orders import MAX_QUANTITY

ORIGIN = "storefront"
MAX_LISTS_PER_USER = 50
MAX_LIST_LINES = 100
LIST_NAME_LENGTH = 100
COMPANY_NAME_LENGTH = 255
NOTE_LENGTH = 2000
# Requests a customer user may have waiting for a quote at once: enough for any buyer, a bound on spam.
MAX_OPEN_REQUESTS = 20


def storefront_organization() -> Organization:
    """The organization the storefront sells for: STOREFRONT_ORGANIZATION (its name), or the only one."""
    name = getattr(settings, "STOREFRONT_ORGANIZATION", "") or ""
    if name:
        organization = Organization.objects.filter(name=name).first()
        if organization is None:
            raise ImproperlyConfigured(f"STOREFRONT_ORGANIZATION names no organization: {name!r}.")
        return organization
    organizations = list(Organization.objects.order_by("pk")[:2])
    if len(organizations) != 1:
        raise ImproperlyConfigured("Set STOREFRONT_ORGANIZATION: the storefront sells for one organization.")
    return organizations[0]


def storefront_actor(*, organization_id: int) -> User:
    """The back-office user the storefront's writes are made as (and who owns the customers it creates)."""
    users = User.objects.filter(organization_id=organization_id, is_active=True)
    username = getattr(settings, "STOREFRONT_ACTOR", "") or ""
    actor = (
        users.filter(username=username).first() if username else users.filter(role=Role.ADMIN).order_by("pk").first()
    )
    if actor is None:
        raise ImproperlyConfigured("The storefront needs an active admin of its organization (or STOREFRONT_ACTOR).")
    return actor


def _bounded(value: str, field: str, limit: int, *, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError({field: "This field is required."})
    if len(value) > limit:
        raise ValidationError({field: f"At most {limit} characters."})
    return value


@retry_on_conflict
@service_atomic
def storefront_sign_up(
    *, organization: Organization, first_name: str, last_name: str, email: str, password: str, company_name: str = ""
) -> CustomerUser:
    """Register a person: a customer named after the company (or the person), its first user, and an
    account for the customer as the organization's account-creation strategy says."""
    first_name = _bounded(first_name, "first_name", 100)
    last_name = _bounded(last_name, "last_name", 100)
    company_name = _bounded(company_name, "company_name", COMPANY_NAME_LENGTH, required=False)
    email = _bounded(email, "email", 254)
    if len(password or "") > 128:
        raise ValidationError({"password": "A password is at most 128 characters."})
    probe = CustomerUser(first_name=first_name, last_name=last_name, email=email)
    try:
        validate_password(password, user=probe)
    except ValidationError as error:
        raise ValidationError({"password": error.messages}) from None
    if CustomerUser.objects.filter(organization=organization, email__iexact=email).exists():
        raise ValidationError({"email": "A customer user with this e-mail exists already."})
    actor = storefront_actor(organization_id=organization.pk)
    with change_context(actor=actor, origin=ORIGIN):
        customer = customer_create(actor=actor, name=company_name or f"{first_name} {last_name}")
        return customer_user_create(
            actor=actor,
            customer=customer,
            first_name=first_name,
            last_name=last_name,
            email=email,
            password=password,
        )


# Checked against when no user has the e-mail, so that an unknown e-mail costs as long as a wrong password.
_DUMMY_PASSWORD = make_password(secrets.token_urlsafe(16))


def customer_user_authenticate(*, organization: Organization, email: str, password: str) -> CustomerUser | None:
    """The enabled customer user with this e-mail and password, or None (back-office users never match)."""
    email = (email or "").strip()[:254]
    password = (password or "")[:128]
    user = (
        CustomerUser.objects.filter(organization=organization, email__iexact=email).select_related("customer").first()
        if email
        else None
    )
    if user is None:
        check_password(password, _DUMMY_PASSWORD)
        return None
    if not check_password(password, user.password) or not user.enabled:
        return None
    return user


def _actor_for(customer_user: CustomerUser) -> User:
    return storefront_actor(organization_id=customer_user.organization_id)


def _locked_list(customer_user: CustomerUser, shopping_list: ShoppingList) -> ShoppingList:
    stored = ShoppingList.objects.select_for_update().filter(pk=shopping_list.pk).first()
    if stored is None or stored.customer_user_id != customer_user.pk:
        raise PermissionDenied("That shopping list is not yours.")
    return stored


def _quantity(value) -> int:
    try:
        quantity = int(value)
    except (TypeError, ValueError):
        raise ValidationError({"quantity": "Enter a whole number."}) from None
    if not 1 <= quantity <= MAX_QUANTITY:
        raise ValidationError({"quantity": f"A quantity is a whole number from 1 to {MAX_QUANTITY}."})
    return quantity


@service_atomic
def shopping_list_create(*, customer_user: CustomerUser, name: str) -> ShoppingList:
    """A new, empty shopping list of the customer user (at most MAX_LISTS_PER_USER of them)."""
    name = _bounded(name, "name", LIST_NAME_LENGTH)
    # Locking the user orders concurrent creations, so the bound holds under parallel requests.
    CustomerUser.objects.select_for_update().filter(pk=customer_user.pk).values_list("pk", flat=True).first()
    if ShoppingList.objects.filter(customer_user=customer_user).count() >= MAX_LISTS_PER_USER:
        raise ValidationError({"name": f"You can keep at most {MAX_LISTS_PER_USER} shopping lists."})
    actor = _actor_for(customer_user)
    with change_context(origin=ORIGIN):
        return record_save(
            actor=actor,
            instance=ShoppingList(),
            data={"customer_user": customer_user, "customer": customer_user.customer, "name": name},
        )


@service_atomic
def shopping_list_rename(*, customer_user: CustomerUser, shopping_list: ShoppingList, name: str) -> ShoppingList:
    """Rename one of the customer user's shopping lists."""
    name = _bounded(name, "name", LIST_NAME_LENGTH)
    stored = _locked_list(customer_user, shopping_list)
    with change_context(origin=ORIGIN):
        return record_save(actor=_actor_for(customer_user), instance=stored, data={"name": name}, locked=True)


@service_atomic
def shopping_list_delete(*, customer_user: CustomerUser, shopping_list: ShoppingList) -> None:
    """Delete one of the customer user's shopping lists (requests made from it keep their copied lines)."""
    stored = _locked_list(customer_user, shopping_list)
    with change_context(origin=ORIGIN):
        record_delete(actor=_actor_for(customer_user), instance=stored)


@retry_on_conflict
@service_atomic
def shopping_list_add_product(
    *, customer_user: CustomerUser, shopping_list: ShoppingList, product: Product, quantity=1
) -> ShoppingListLine:
    """Add a product to a list; a product already on it gets the quantity added."""
    quantity = _quantity(quantity)
    stored = _locked_list(customer_user, shopping_list)
    if product.organization_id != stored.organization_id or not product.active:
        raise ValidationError({"product": "That product is not sold here."})
    line = ShoppingListLine.objects.select_for_update().filter(shopping_list=stored, product=product).first()
    with change_context(actor=_actor_for(customer_user), origin=ORIGIN):
        if line is not None:
            if line.quantity + quantity > MAX_QUANTITY:
                raise ValidationError({"quantity": f"A quantity is at most {MAX_QUANTITY}."})
            ShoppingListLine.objects.filter(pk=line.pk).update(quantity=F("quantity") + quantity)
            line.refresh_from_db()
        else:
            if ShoppingListLine.objects.filter(shopping_list=stored).count() >= MAX_LIST_LINES:
                raise ValidationError({"product": f"A shopping list holds at most {MAX_LIST_LINES} products."})
            line = ShoppingListLine.objects.create(
                organization_id=stored.organization_id, shopping_list=stored, product=product, quantity=quantity
            )
        ShoppingList.objects.filter(pk=stored.pk).update(updated_at=timezone.now())
    return line


def _locked_line(customer_user: CustomerUser, line: ShoppingListLine) -> ShoppingListLine:
    stored_list = ShoppingList.objects.filter(pk=line.shopping_list_id).first()
    if stored_list is None:
        raise ValidationError("That shopping list no longer exists.")
    _locked_list(customer_user, stored_list)
    stored = ShoppingListLine.objects.select_for_update().filter(pk=line.pk).first()
    if stored is None:
        raise ValidationError("That product is no longer on the list.")
    return stored


@service_atomic
def shopping_list_line_update(*, customer_user: CustomerUser, line: ShoppingListLine, quantity) -> ShoppingListLine:
    """Change the quantity of a product on one of the customer user's lists."""
    quantity = _quantity(quantity)
    stored = _locked_line(customer_user, line)
    with change_context(actor=_actor_for(customer_user), origin=ORIGIN):
        ShoppingListLine.objects.filter(pk=stored.pk).update(quantity=quantity)
    stored.refresh_from_db()
    return stored


@service_atomic
def shopping_list_line_remove(*, customer_user: CustomerUser, line: ShoppingListLine) -> None:
    """Take a product off one of the customer user's lists."""
    stored = _locked_line(customer_user, line)
    with change_context(actor=_actor_for(customer_user), origin=ORIGIN):
        stored.delete()


def _number(prefix: str) -> str:
    return f"{prefix}-{timezone.now():%Y%m%d}-{secrets.token_hex(4).upper()}"


@retry_on_conflict
@service_atomic
def request_for_quote_create(
    *, customer_user: CustomerUser, shopping_list: ShoppingList, note: str = ""
) -> RequestForQuote:
    """Ask for a quote on a shopping list's lines (copied, so later edits of the list do not change it)."""
    note = _bounded(note, "note", NOTE_LENGTH, required=False)
    # The customer user first (as a new list does): requests made at once from several lists count one another.
    CustomerUser.objects.select_for_update().filter(pk=customer_user.pk).values_list("pk", flat=True).first()
    stored = _locked_list(customer_user, shopping_list)
    lines = list(ShoppingListLine.objects.filter(shopping_list=stored).select_related("product").order_by("id"))
    if not lines:
        raise ValidationError("Add products to the list before asking for a quote.")
    waiting = RequestForQuote.objects.filter(customer_user=customer_user, status="open").count()
    if waiting >= MAX_OPEN_REQUESTS:
        raise ValidationError(f"You have {waiting} requests waiting for a quote already; wait for the answers.")
    actor = _actor_for(customer_user)
    with change_context(origin=ORIGIN):
        request = record_save(
            actor=actor,
            instance=RequestForQuote(),
            data={
                "number": _number("RFQ"),
                "customer": stored.customer,
                "customer_user": customer_user,
                "shopping_list": stored,
                "note": note,
            },
        )
        with change_context(actor=actor):
            RequestForQuoteLine.objects.bulk_create(
                [
                    RequestForQuoteLine(
                        organization_id=request.organization_id,
                        request=request,
                        product=line.product,
                        quantity=line.quantity,
                    )
                    for line in lines
                ]
            )
    return request
