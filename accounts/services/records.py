"""Writes of accounts, contacts, business customers, leads and channels.

Every write checks the actor's right to it (backoffice.access) and validates the row, so the web
UI, the API, the admin and tasks share the same rules. Field values arrive as a dict of model
field names (what a form's or serializer's cleaned data holds).
"""

from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from phonenumber_field.phonenumber import to_python as phone_to_python

from accounts.choices import ChannelType, LeadStatus
from accounts.models import (
    Account,
    BusinessCustomer,
    BusinessCustomerEmail,
    BusinessCustomerPhone,
    Channel,
    Contact,
    ContactAddress,
    ContactEmail,
    ContactPhone,
    Lead,
    Opportunity,
)
from backoffice.access import check_same_organization, check_write
from backoffice.db import retry_on_conflict, service_atomic
from backoffice.models import User
from backoffice.records import (
    ChildList,
    StaleRecordError,
    record_archive,
    record_list_add,
    record_restore,
    record_save,
)
from backoffice.records import record_delete as _record_delete

__all__ = [
    "StaleRecordError",
    "account_save",
    "business_customer_save",
    "channel_business_get",
    "contact_children_write_many",
    "contact_prepare",
    "contact_save",
    "lead_convert",
    "lead_save",
    "record_archive",
    "record_delete",
    "record_restore",
    "record_save",
]

BUSINESS_CHANNEL_NAME = "Business customers"
ADDRESS_FIELDS = ("label", "street", "city", "region", "postal_code", "country")


def record_delete(*, actor: User, instance) -> None:
    """Delete a CRM row the actor may write; one that others depend on is refused with a reason.

    A customer with deals is refused rather than leaving the deals pointing at nothing (their value
    would silently move to "no channel"): move or delete the deals first.
    """
    from accounts.registry import customer_types

    if customer_types.for_model(type(instance)) is not None:
        deals = Opportunity.objects.filter(
            customer_type=ContentType.objects.get_for_model(type(instance)), customer_id=instance.pk
        ).count()
        if deals:
            raise ValidationError(
                f"{instance} cannot be deleted while it has {deals} opportunit{'y' if deals == 1 else 'ies'}: "
                "move them to another customer or delete them first."
            )
    _record_delete(actor=actor, instance=instance)


def channel_business_get(*, organization_id: int) -> Channel:
    """The organization's business-customer channel, made on first use."""
    channel, _ = Channel.objects.get_or_create(
        organization_id=organization_id,
        channel_type=ChannelType.BUSINESS,
        name=BUSINESS_CHANNEL_NAME,
    )
    return channel


@service_atomic
def account_save(*, actor: User, data: dict, account: Account | None = None) -> Account:
    """Create or update an account (contacts is a list; default contact must be among them)."""
    account = account or Account()
    contacts = data.get("contacts")
    default = data.get("default_contact", account.default_contact if account.pk else None)
    if default is not None:
        known = set(contacts) if contacts is not None else set(account.contacts.all()) if account.pk else set()
        if default not in known:
            data = {**data, "contacts": [*known, default]}
    if data.get("referred_by") is not None and account.pk and data["referred_by"].pk == account.pk:
        raise ValidationError({"referred_by": "An account cannot refer itself."})
    return record_save(actor=actor, instance=account, data=data, m2m=["contacts"])


def _with_primary_contact_points(data: dict, emails: list[str] | None, phones: list[list[str]] | None) -> dict:
    # The row's own e-mail and phone mirror the first of each list, so lists and search need no join.
    if emails is not None:
        data = {**data, "email": emails[0] if emails else ""}
    if phones is not None:
        data = {**data, "phone": phones[0][0] if phones else ""}
    return data


def _unique_emails(emails: list[str]) -> list[str]:
    """E-mails repeated in another case are kept once, the first spelling."""
    unique: list[str] = []
    seen: set[str] = set()
    for email in emails:
        email = email.strip()
        if email.lower() not in seen:
            seen.add(email.lower())
            unique.append(email)
    return unique


# A person or customer has a handful of e-mails, phones and addresses; a list longer than this is refused
# (every row is validated and written, so an unbounded list would be unbounded work).
MAX_LIST_ROWS = 50


def _validated_rows(model, fk: str, rows: list[dict], field: str) -> None:
    if len(rows) > MAX_LIST_ROWS:
        raise ValidationError({field: f"At most {MAX_LIST_ROWS} {field} (got {len(rows)})."})
    for index, row in enumerate(rows):
        try:
            model(**row).full_clean(exclude=[fk])
        except ValidationError as error:
            prefix = f"{field.capitalize()[:-1]} {index + 1}: " if len(rows) > 1 else ""
            raise ValidationError({field: [prefix + message for message in error.messages]})


def _sync_rows(parent, *, model, fk: str, key: str, wanted: list[dict]) -> None:
    """Make the parent's rows equal `wanted` (the first is the primary), keeping rows whose key stays.

    Rows are matched by `key` (case-insensitive for text), so an unchanged e-mail keeps its row.
    """
    sync_rows_many(model=model, fk=fk, key=key, wanted={parent: wanted})


def sync_rows_many(*, model, fk: str, key: str, wanted: dict) -> None:
    """`_sync_rows` for several parents at once ({parent: wanted rows}), in a constant number of statements."""
    if not wanted:
        return

    def norm(value):
        return value.lower() if isinstance(value, str) else str(value)

    parents = {parent.pk: parent for parent in wanted}
    existing: dict[int, dict] = {pk: {} for pk in parents}
    for row in model.objects.filter(**{f"{fk}__in": list(parents)}):
        existing[getattr(row, f"{fk}_id")][norm(getattr(row, key))] = row
    stale = []
    for parent, rows in wanted.items():
        wanted_keys = [norm(row[key]) for row in rows]
        stale += [row.pk for k, row in existing[parent.pk].items() if k not in wanted_keys]
    if stale:
        model.objects.filter(pk__in=stale).delete()
    # The one-primary constraint holds at every step: clear the flag before moving it.
    model.objects.filter(**{f"{fk}__in": list(parents)}, is_primary=True).update(is_primary=False)
    new_rows, changed_rows, changed_fields = [], [], set()
    for parent, rows in wanted.items():
        current_rows = existing[parent.pk]
        for row in current_rows.values():
            row.is_primary = False
        for index, row in enumerate(rows):
            values = {**row, "is_primary": index == 0}
            current = current_rows.get(norm(row[key]))
            if current is None:
                new_rows.append(model(**{fk: parent}, **values))
                continue
            changed = [name for name, value in values.items() if getattr(current, name) != value]
            for name in changed:
                setattr(current, name, values[name])
            if changed:
                changed_rows.append(current)
                changed_fields.update(changed)
    if changed_rows:
        model.objects.bulk_update(changed_rows, sorted(changed_fields))
    model.objects.bulk_create(new_rows)


@dataclass
class RowList(ChildList):
    """A child list with the rows it writes (model field values), for writers of many parents at once."""

    rows: list = field(default_factory=list)


def _email_list(*, model, fk: str, emails: list[str]) -> RowList:
    rows = [{"email": email} for email in _unique_emails(emails)]
    _validated_rows(model, fk, rows, "emails")
    return RowList(
        wanted=[row["email"] for row in rows],
        current=lambda parent: list(
            model.objects.filter(**{fk: parent}).order_by("-is_primary", "id").values_list("email", flat=True)
        ),
        write=lambda parent, _: _sync_rows(parent, model=model, fk=fk, key="email", wanted=rows),
        rows=rows,
    )


def _phone_list(*, model, fk: str, phones: list[tuple[str, str]]) -> RowList:
    rows = [{"number": phone_to_python(number) or number, "phone_type": phone_type} for number, phone_type in phones]
    _validated_rows(model, fk, rows, "phones")
    wanted = [[str(row["number"]), row["phone_type"]] for row in rows]
    return RowList(
        wanted=wanted,
        current=lambda parent: [
            [str(number), phone_type]
            for number, phone_type in model.objects.filter(**{fk: parent})
            .order_by("-is_primary", "id")
            .values_list("number", "phone_type")
        ],
        write=lambda parent, _: _sync_rows(parent, model=model, fk=fk, key="number", wanted=rows),
        rows=rows,
    )


def _address_list(addresses: list[dict]) -> RowList:
    rows = [{name: address.get(name, "") or "" for name in ADDRESS_FIELDS} for address in addresses]
    _validated_rows(ContactAddress, "contact", rows, "addresses")

    def write(contact, _):
        # Addresses have no natural key: a changed list is written anew.
        contact.addresses.all().delete()
        ContactAddress.objects.bulk_create(
            ContactAddress(contact=contact, is_primary=index == 0, **row) for index, row in enumerate(rows)
        )

    return RowList(
        wanted=rows,
        current=lambda contact: list(contact.addresses.order_by("-is_primary", "id").values(*ADDRESS_FIELDS)),
        write=write,
        rows=rows,
    )


def _contact_point_lists(*, email_model, phone_model, fk: str, emails, phones) -> dict[str, ChildList]:
    lists = {}
    if emails is not None:
        lists["emails"] = _email_list(model=email_model, fk=fk, emails=emails)
    if phones is not None:
        lists["phones"] = _phone_list(model=phone_model, fk=fk, phones=phones)
    return lists


@service_atomic
def contact_save(
    *,
    actor: User,
    data: dict,
    contact: Contact | None = None,
    emails: list[str] | None = None,
    phones: list[tuple[str, str]] | None = None,
    addresses: list[dict] | None = None,
) -> Contact:
    """Create or update a contact with its e-mails and phones (the first of each is the primary).

    `phones` is a list of (number, phone type); `addresses` a list of dicts of ContactAddress
    fields. None leaves the existing list as it is. `accounts` in data, when given, is the full
    list of accounts the contact belongs to. Lists that did not change are not rewritten.
    """
    contact = contact or Contact()
    data, children = contact_prepare(data=data, emails=emails, phones=phones, addresses=addresses)
    return record_save(actor=actor, instance=contact, data=data, m2m=["accounts"], children=children)


def contact_prepare(
    *,
    data: dict,
    emails: list[str] | None = None,
    phones: list[tuple[str, str]] | None = None,
    addresses: list[dict] | None = None,
) -> tuple[dict, dict[str, RowList]]:
    """What `contact_save` writes: the row's values (with its primary e-mail and phone) and its child lists,
    validated; for writers of many contacts at once (`contact_children_write_many`)."""
    children = _contact_point_lists(
        email_model=ContactEmail, phone_model=ContactPhone, fk="contact", emails=emails, phones=phones
    )
    if addresses is not None:
        children["addresses"] = _address_list(addresses)
    data = _with_primary_contact_points(
        data,
        children["emails"].wanted if emails is not None else None,
        children["phones"].wanted if phones is not None else None,
    )
    return data, children


def contact_children_write_many(changed: dict[str, dict[Contact, RowList]]) -> None:
    """Replace the changed child lists of many contacts ({list name: {contact: list}}) as `contact_save`
    does one contact at a time, in a constant number of statements per list."""
    if changed.get("emails"):
        sync_rows_many(
            model=ContactEmail, fk="contact", key="email", wanted={c: lst.rows for c, lst in changed["emails"].items()}
        )
    if changed.get("phones"):
        sync_rows_many(
            model=ContactPhone, fk="contact", key="number", wanted={c: lst.rows for c, lst in changed["phones"].items()}
        )
    if changed.get("addresses"):
        contacts = changed["addresses"]
        ContactAddress.objects.filter(contact__in=[contact.pk for contact in contacts]).delete()
        ContactAddress.objects.bulk_create(
            ContactAddress(contact=contact, is_primary=index == 0, **row)
            for contact, lst in contacts.items()
            for index, row in enumerate(lst.rows)
        )


@retry_on_conflict
@service_atomic
def business_customer_save(
    *,
    actor: User,
    data: dict,
    customer: BusinessCustomer | None = None,
    emails: list[str] | None = None,
    phones: list[tuple[str, str]] | None = None,
) -> BusinessCustomer:
    """Create or update a business customer with its e-mails and phones (the first of each is the primary).

    `phones` is a list of (number, phone type); None leaves a list as it is. Moving the customer
    to another account moves its value too.
    """
    from accounts.services.lifetime import lifetime_move_customer

    customer = customer or BusinessCustomer()
    new_account = data.get("account")
    moving = customer.pk is not None and new_account is not None
    if moving:
        # Lock in the order every lifetime write uses: the customer's deals, then the accounts.
        deals = Opportunity.objects.filter(
            customer_type=ContentType.objects.get_for_model(BusinessCustomer), customer_id=customer.pk
        )
        list(deals.order_by("pk").select_for_update().values_list("pk", flat=True))
        old_account_id = BusinessCustomer.objects.filter(pk=customer.pk).values_list("account_id", flat=True).first()
        moving = old_account_id is not None and old_account_id != new_account.pk
        if moving:
            list(
                Account.objects.filter(pk__in=[old_account_id, new_account.pk])
                .order_by("pk")
                .select_for_update()
                .values_list("pk", flat=True)
            )
    if customer.pk is None and "channel" not in data:
        data = {**data, "channel": channel_business_get(organization_id=actor.organization_id)}
    children = _contact_point_lists(
        email_model=BusinessCustomerEmail,
        phone_model=BusinessCustomerPhone,
        fk="customer",
        emails=emails,
        phones=phones,
    )
    data = _with_primary_contact_points(
        data,
        children["emails"].wanted if emails is not None else None,
        children["phones"].wanted if phones is not None else None,
    )
    customer = record_save(actor=actor, instance=customer, data=data, children=children)
    if moving:
        # The customer's deals move with it, so the business channel of each account stays the sum
        # of its customers' values; the two accounts change by the customer's value.
        lifetime_move_customer(customer=customer, to_account_id=customer.account_id, actor=actor)
        deals.exclude(account_id=customer.account_id).update(account_id=customer.account_id)
    return customer


@service_atomic
def lead_save(*, actor: User, data: dict, lead: Lead | None = None) -> Lead:
    """Create or update a lead."""
    return record_save(actor=actor, instance=lead or Lead(), data=data)


@service_atomic
def lead_convert(
    *,
    actor: User,
    lead: Lead,
    account: Account | None = None,
    contact: Contact | None = None,
    opportunity_name: str = "",
    budget_amount=None,
    budget_currency: str = "",
    expected_close_date=None,
):
    """Turn a lead into an opportunity: use the given account and contact, else reuse or create the lead's,
    then open the deal with the amount and close date given."""
    from accounts.services.opportunities import opportunity_save

    check_write(actor, lead)
    if lead.status == LeadStatus.DISQUALIFIED:
        raise ValidationError("A disqualified lead cannot be converted.")
    check_same_organization(actor, account, contact)
    if budget_amount is not None and budget_amount < 0:
        raise ValidationError({"budget_amount": "The amount cannot be negative."})
    account = account or lead.account
    if account is None:
        name = lead.company_name or f"{lead.first_name} {lead.last_name}".strip() or lead.name
        account = Account.objects.filter(organization_id=lead.organization_id, name__iexact=name).first()
        if account is None:
            account = account_save(actor=actor, data={"name": name, "owner": lead.owner})
    contact = contact or lead.contact
    if contact is None and (lead.last_name or lead.first_name):
        contact = contact_save(
            actor=actor,
            data={
                "first_name": lead.first_name,
                "last_name": lead.last_name or lead.first_name,
                "job_title": lead.job_title,
                "owner": lead.owner,
            },
            emails=[lead.email] if lead.email else [],
            phones=[(str(lead.phone), "business")] if lead.phone else [],
        )
    if contact is not None:
        # The lead's owner converts into the account whoever owns it: the link is part of converting.
        record_list_add(actor=actor, instance=account, name="contacts", rows=[contact])
    opportunity = opportunity_save(
        actor=actor,
        data={
            "name": opportunity_name or lead.name,
            "account": account,
            "contact": contact,
            "lead": lead,
            "owner": lead.owner,
            "budget_amount": budget_amount,
            "budget_currency": budget_currency if budget_amount is not None else "",
            "expected_close_date": expected_close_date,
        },
    )
    lead_save(actor=actor, lead=lead, data={"account": account, "contact": contact, "status": LeadStatus.QUALIFIED})
    return opportunity
