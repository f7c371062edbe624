"""The standard customer selector: commerce customers of the actor's organization.

Found by name (every word typed), by the e-mail or name of one of their customer users, or by phone (the
digits typed, anywhere in the number). Created and changed through the commerce customer services, so the
account-creation strategy, access rules and change log apply as everywhere else. A customer created with a
contact person gets it as its first customer user, found by its e-mail from then on.
"""

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Exists, OuterRef, Prefetch, Q

from accounts.search import SearchTerm
from backoffice.db import service_atomic
from backoffice.models import User
from backoffice.records import StaleRecordError
from commerce.api.selectors import customer_group_list, customer_list
from commerce.models import CommerceCustomer, CustomerGroup, CustomerUser
from commerce.selector import (
    MAX_RESULTS,
    STANDARD,
    CustomerSelector,
    OrderCustomer,
    SelectorChoice,
    SelectorConflict,
    SelectorCustomer,
    SelectorField,
    SelectorNotFound,
    SelectorPage,
    SelectorValidationError,
    customer_selectors,
)
from commerce.services import customer_create, customer_update, customer_user_create

# Groups offered in the form: an organization has a handful; the bound keeps the form small regardless.
MAX_GROUPS = 200
MAX_EMAILS_SHOWN = 5
EDITABLE = ("name", "phone", "group")
# The contact person a new customer may be given: its first customer user (no password: it signs in once given one).
CONTACT = ("first_name", "last_name", "email")


def _errors(error: ValidationError) -> SelectorValidationError:
    if hasattr(error, "error_dict"):
        found = {
            ("__all__" if key == NON_FIELD_ERRORS else key): messages for key, messages in error.message_dict.items()
        }
    else:
        found = {"__all__": error.messages}
    return SelectorValidationError(found)


class StandardCustomerSelector(CustomerSelector):
    """Commerce customers: name, phone, group; their users' e-mails, account, parent and value to read."""

    key = STANDARD
    label = "Commerce customers"

    def _groups(self, actor: User) -> list[CustomerGroup]:
        return list(customer_group_list(actor=actor).only("id", "name").order_by("name", "id")[:MAX_GROUPS])

    def fields(self, *, actor: User) -> list[SelectorField]:
        groups = tuple(SelectorChoice(str(group.pk), group.name) for group in self._groups(actor))
        return [
            SelectorField("name", "Name", in_list=True, in_create=True, in_edit=True, required=True, max_length=255),
            SelectorField("emails", "E-mail", type="static", in_list=True),
            SelectorField("phone", "Phone", type="phone", in_list=True, in_create=True, in_edit=True, max_length=32),
            SelectorField("group", "Customer group", type="choice", in_create=True, in_edit=True, choices=groups),
            SelectorField("first_name", "Contact first name", in_detail=False, in_create=True, max_length=100),
            SelectorField("last_name", "Contact last name", in_detail=False, in_create=True, max_length=100),
            SelectorField("email", "Contact e-mail", type="email", in_detail=False, in_create=True, max_length=254),
            SelectorField("parent", "Parent customer", type="static"),
            SelectorField("account", "Account", type="static"),
            SelectorField("lifetime_value", "Lifetime sales value", type="static"),
        ]

    def _rows(self, actor: User):
        users = CustomerUser.objects.only("id", "customer_id", "email").order_by("email", "id")
        return (
            customer_list(actor=actor)
            .select_related("group", "parent", "account", "organization")
            .prefetch_related(Prefetch("users", queryset=users))
        )

    def _customer(self, row: CommerceCustomer) -> SelectorCustomer:
        emails = [user.email for user in row.users.all()]
        shown = ", ".join(emails[:MAX_EMAILS_SHOWN]) + (" …" if len(emails) > MAX_EMAILS_SHOWN else "")
        return SelectorCustomer(
            reference=str(row.pk),
            label=row.name,
            version=row.version,
            values={
                "name": row.name,
                "emails": shown,
                "phone": str(row.phone) if row.phone else "",
                "group": str(row.group_id) if row.group_id else "",
                "group_label": row.group.name if row.group_id else "",
                "parent": row.parent.name if row.parent_id else "",
                "account": row.account.name if row.account_id else "",
                "lifetime_value": f"{row.lifetime_value} {row.organization.base_currency}",
            },
        )

    def search(self, *, actor: User, query: str, limit: int = 20, filters=None) -> SelectorPage:
        if filters:
            raise SelectorValidationError({"filter": ["Commerce customers are searched by what is typed only."]})
        limit = max(1, min(int(limit), MAX_RESULTS))
        term = SearchTerm.parse(query)
        if term is None:
            return SelectorPage(results=[], has_more=False)
        condition = Q()
        for word in term.words:
            condition &= Q(name__icontains=word)
        by_user = CustomerUser.objects.filter(customer=OuterRef("pk")).filter(
            Q(email__icontains=term.text) | Q(first_name__icontains=term.text) | Q(last_name__icontains=term.text)
        )
        condition |= Q(Exists(by_user))
        if term.digits:
            condition |= Q(phone__icontains=term.digits)
        # The anonymous customer is not someone to find: the POS offers it by its own button.
        rows = list(self._rows(actor).filter(condition, is_anonymous=False).order_by("name", "id")[: limit + 1])
        return SelectorPage(results=[self._customer(row) for row in rows[:limit]], has_more=len(rows) > limit)

    def _row(self, actor: User, reference: str) -> CommerceCustomer:
        text = str(reference or "")
        if not text.isascii() or not text.isdigit() or len(text) > 18:
            raise SelectorNotFound("No such customer.")
        row = self._rows(actor).filter(pk=int(text)).first()
        if row is None:
            raise SelectorNotFound("No such customer.")
        return row

    def get(self, *, actor: User, reference: str) -> SelectorCustomer:
        return self._customer(self._row(actor, reference))

    def _clean(self, actor: User, values: dict, *, creating: bool) -> dict:
        settable = EDITABLE + CONTACT if creating else EDITABLE
        unknown = sorted(set(values) - set(settable))
        if unknown:
            raise SelectorValidationError({key: ["This field cannot be set here."] for key in unknown})
        data = {}
        for key in settable:
            if key not in values:
                continue
            value = values[key]
            if value is not None and not isinstance(value, str):
                raise SelectorValidationError({key: ["Enter text."]})
            value = (value or "").strip()
            if key == "group":
                if value:
                    wellformed = len(value) <= 18 and value.isascii() and value.isdigit()
                    group = customer_group_list(actor=actor).filter(pk=int(value)).first() if wellformed else None
                    if group is None:
                        raise SelectorValidationError({"group": ["Choose one of the groups offered."]})
                    data["group"] = group
                else:
                    data["group"] = None
            elif key == "phone" and len(value) > 32:
                raise SelectorValidationError({"phone": ["A phone number is at most 32 characters."]})
            else:
                data[key] = value
        if creating and not data.get("name"):
            raise SelectorValidationError({"name": ["Enter a name."]})
        return data

    def create(self, *, actor: User, values: dict) -> SelectorCustomer:
        data = self._clean(actor, values, creating=True)
        try:
            customer = _create(actor=actor, data=data)
        except ValidationError as error:
            raise _errors(error) from None
        return self.get(actor=actor, reference=str(customer.pk))

    def update(self, *, actor: User, reference: str, values: dict, version: int | None = None) -> SelectorCustomer:
        row = self._row(actor, reference)
        data = self._clean(actor, values, creating=False)
        if version is not None:
            data["version"] = version
        try:
            customer_update(actor=actor, customer=row, data=data)
        except StaleRecordError as error:
            raise SelectorConflict({"__all__": error.messages}) from None
        except ValidationError as error:
            raise _errors(error) from None
        return self.get(actor=actor, reference=reference)

    def order_customer(self, *, actor: User, reference: str) -> OrderCustomer:
        return OrderCustomer(customer=self._row(actor, reference), attributes={})


@service_atomic
def _create(*, actor: User, data: dict) -> CommerceCustomer:
    """A new customer (its account by the strategy), with its phone and its contact person as its first customer
    user, in one transaction: a refused contact (an e-mail taken in the organization) leaves no customer behind."""
    phone = data.pop("phone", "")
    contact = {key: data.pop(key, "") for key in CONTACT}
    customer = customer_create(actor=actor, name=data.get("name", ""), group=data.get("group"))
    if phone:
        customer = customer_update(actor=actor, customer=customer, data={"phone": phone})
    if any(contact.values()):
        customer_user_create(actor=actor, customer=customer, password=None, **contact)
    return customer


if STANDARD not in customer_selectors:
    customer_selectors.register(STANDARD, StandardCustomerSelector())
