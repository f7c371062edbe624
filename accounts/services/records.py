"""Writes of accounts, contacts, business customers, leads and channels.

Every write checks the actor's right to it (backoffice.access) and validates the row, so the web
UI, the API, the admin and tasks share the same rules. Field values arrive as a dict of model
field names (what a form's or serializer's cleaned data holds).
"""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import models, transaction

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
)
from backoffice.access import check_owner_assignable, check_same_organization, check_write
from backoffice.models import User

BUSINESS_CHANNEL_NAME = "Business customers"


def _related_rows(data: dict) -> list:
    rows = []
    for value in data.values():
        if isinstance(value, models.Model) and hasattr(value, "organization_id") and not isinstance(value, User):
            rows.append(value)
        elif isinstance(value, Iterable) and not isinstance(value, str | bytes | dict):
            rows.extend(v for v in value if isinstance(v, models.Model) and hasattr(v, "organization_id"))
    return rows


class StaleRecordError(ValidationError):
    """The row was changed by someone else after the caller read it (its version moved on)."""


@transaction.atomic
def record_save(*, actor: User, instance: models.Model, data: dict, m2m: Iterable[str] = ()) -> models.Model:
    """Create or update a business row from field values, after the access and validity checks.

    New rows belong to the actor's organization and, unless an owner is given, to the actor. A
    `version` in data is the version the caller read: a row changed since then is refused
    (StaleRecordError) instead of silently overwriting the other person's change.
    """
    m2m = set(m2m)
    expected_version = data.get("version")
    data = {k: v for k, v in data.items() if k != "version"}
    if "owner" in data and data["owner"] is None:
        # No owner means "keep it" (a record always has one), not "remove it".
        data = {k: v for k, v in data.items() if k != "owner"}
    owner = data.get("owner")
    if instance.pk is None:
        instance.organization_id = actor.organization_id
        if hasattr(instance, "owner_id"):
            owner = owner or actor
            check_owner_assignable(actor, owner)
            instance.owner = owner
    else:
        # Check the stored row, not the caller's copy, which may already carry the new owner.
        owner_field = ["owner_id"] if hasattr(instance, "owner_id") else []
        stored = (
            type(instance)
            ._base_manager.select_for_update()
            .only("organization_id", "version", *owner_field)
            .get(pk=instance.pk)
        )
        check_write(actor, stored)
        if expected_version is not None and int(expected_version) != stored.version:
            raise StaleRecordError(
                {
                    "version": f"{instance} was changed by someone else after you opened it. "
                    "Reload it to see their change, then make yours again."
                }
            )
        instance.version = stored.version
        if owner is not None and owner.pk != getattr(stored, "owner_id", None):
            check_owner_assignable(actor, owner)
    check_same_organization(actor, *_related_rows(data))
    for name, value in data.items():
        if name not in m2m:
            setattr(instance, name, value)
    instance.full_clean(exclude=["organization", "owner"])
    # Histories name who made the change, from commands and tasks as well as from web requests.
    instance._history_user = actor
    instance.save()
    for name in m2m:
        if name in data:
            getattr(instance, name).set(data[name])
    return instance


def record_delete(*, actor: User, instance: models.Model) -> None:
    """Delete a business row the actor may write; a row others depend on is refused with a reason."""
    check_write(actor, instance)
    try:
        with transaction.atomic():
            instance.delete()
    except models.ProtectedError as error:
        blocking = sorted({str(obj._meta.verbose_name_plural) for obj in error.protected_objects})
        raise ValidationError(f"{instance} cannot be deleted while it has {', '.join(blocking)}.")


def channel_business_get(*, organization_id: int) -> Channel:
    """The organization's business-customer channel, made on first use."""
    channel, _ = Channel.objects.get_or_create(
        organization_id=organization_id,
        channel_type=ChannelType.BUSINESS,
        name=BUSINESS_CHANNEL_NAME,
    )
    return channel


@transaction.atomic
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


def _with_primary_contact_points(data: dict, emails: list[str] | None, phones: list[tuple[str, str]] | None) -> dict:
    # The row's own e-mail and phone mirror the first of each list, so lists and search need no join.
    if emails is not None:
        data = {**data, "email": emails[0] if emails else ""}
    if phones is not None:
        data = {**data, "phone": phones[0][0] if phones else ""}
    return data


def _contact_points_replace(
    owner: models.Model,
    *,
    email_model: type[models.Model],
    phone_model: type[models.Model],
    fk: str,
    emails: list[str] | None,
    phones: list[tuple[str, str]] | None,
) -> None:
    """Replace the e-mail and phone rows of a contact or business customer (`fk` names the owner on the rows).

    The first of each list becomes the primary; e-mails repeated in another case are kept once;
    None leaves that list as it is.
    """
    if emails is not None:
        unique: list[str] = []
        for email in emails:
            if email.lower() not in (e.lower() for e in unique):
                unique.append(email)
        rows = [email_model(**{fk: owner}, email=email, is_primary=i == 0) for i, email in enumerate(unique)]
        for row in rows:
            row.full_clean(exclude=[fk])
        email_model.objects.filter(**{fk: owner}).delete()
        email_model.objects.bulk_create(rows)
    if phones is not None:
        rows = [
            phone_model(**{fk: owner}, number=number, phone_type=phone_type, is_primary=i == 0)
            for i, (number, phone_type) in enumerate(phones)
        ]
        for row in rows:
            row.full_clean(exclude=[fk])
        phone_model.objects.filter(**{fk: owner}).delete()
        phone_model.objects.bulk_create(rows)


@transaction.atomic
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
    list of accounts the contact belongs to.
    """
    contact = contact or Contact()
    data = _with_primary_contact_points(data, emails, phones)
    contact = record_save(actor=actor, instance=contact, data=data, m2m=["accounts"])
    _contact_points_replace(
        contact, email_model=ContactEmail, phone_model=ContactPhone, fk="contact", emails=emails, phones=phones
    )
    if addresses is not None:
        rows = [
            ContactAddress(contact=contact, **{**address, "is_primary": i == 0}) for i, address in enumerate(addresses)
        ]
        for row in rows:
            try:
                row.full_clean(exclude=["contact"])
            except ValidationError as error:
                raise ValidationError({"addresses": [f"Address {rows.index(row) + 1}: {m}" for m in error.messages]})
        contact.addresses.all().delete()
        ContactAddress.objects.bulk_create(rows)
    return contact


@transaction.atomic
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
    from accounts.services.lifetime import lifetime_recalculate

    customer = customer or BusinessCustomer()
    old_account_id = customer.account_id
    if customer.pk is None and "channel" not in data:
        data = {**data, "channel": channel_business_get(organization_id=actor.organization_id)}
    data = _with_primary_contact_points(data, emails, phones)
    customer = record_save(actor=actor, instance=customer, data=data)
    _contact_points_replace(
        customer,
        email_model=BusinessCustomerEmail,
        phone_model=BusinessCustomerPhone,
        fk="customer",
        emails=emails,
        phones=phones,
    )
    if old_account_id and old_account_id != customer.account_id:
        # The customer's deals move with it, so the business channel of each account stays the sum
        # of its customers' values.
        from django.contrib.contenttypes.models import ContentType

        from accounts.models import Opportunity

        Opportunity.objects.filter(
            customer_type=ContentType.objects.get_for_model(BusinessCustomer), customer_id=customer.pk
        ).update(account_id=customer.account_id)
        lifetime_recalculate(organization=customer.organization, actor=actor)
    return customer


@transaction.atomic
def lead_convert(*, actor: User, lead: Lead, account: Account | None = None, opportunity_name: str = ""):
    """Turn a lead into an opportunity: reuse or create its account and contact, then open the deal."""
    from accounts.services.opportunities import opportunity_save

    check_write(actor, lead)
    if lead.status == LeadStatus.DISQUALIFIED:
        raise ValidationError("A disqualified lead cannot be converted.")
    account = account or lead.account
    if account is None:
        name = lead.company_name or f"{lead.first_name} {lead.last_name}".strip() or lead.name
        account = Account.objects.filter(organization_id=lead.organization_id, name__iexact=name).first()
        if account is None:
            account = account_save(actor=actor, data={"name": name, "owner": lead.owner})
    contact = lead.contact
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
        account.contacts.add(contact)
    opportunity = opportunity_save(
        actor=actor,
        data={
            "name": opportunity_name or lead.name,
            "account": account,
            "contact": contact,
            "lead": lead,
            "owner": lead.owner,
        },
    )
    lead.account, lead.contact, lead.status = account, contact, LeadStatus.QUALIFIED
    lead.save(update_fields=["account", "contact", "status"])
    return opportunity
