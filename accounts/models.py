"""CRM records: accounts, contacts, business customers, leads, opportunities, activities, lifetime value."""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from phonenumber_field.modelfields import PhoneNumberField
from simple_history.models import HistoricalRecords

from accounts.choices import (
    ChannelType,
    CloseReason,
    Gender,
    LeadStatus,
    OpportunityStatus,
    PhoneType,
    TaskPriority,
    TaskStatus,
)
from accounts.date_range import in_range
from backoffice.models import (
    ArchivableModel,
    Organization,
    OrganizationModel,
    OwnedModel,
    validate_currency,
    validate_time_zone,
)

ZERO = Decimal("0.00")


NOT_NEGATIVE = MinValueValidator(ZERO, message="An amount cannot be negative.")


def money_field(**kwargs) -> models.DecimalField:
    return models.DecimalField(max_digits=18, decimal_places=2, **kwargs)


def currency_field(**kwargs) -> models.CharField:
    return models.CharField(max_length=3, validators=[validate_currency], **kwargs)


class Account(ArchivableModel, OwnedModel):
    """A company or division: the 360-degree view of everything known about it, from every channel."""

    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    contacts = models.ManyToManyField("Contact", blank=True, related_name="accounts")
    default_contact = models.ForeignKey(
        "Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="default_for_accounts"
    )
    referred_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="referrals")
    # Sum of the per-channel values below, in the organization's base currency.
    lifetime_value = money_field(default=ZERO, editable=False)

    derived_fields = ("lifetime_value",)
    tracked_m2m = ("contacts",)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["organization", "name"])]

    def __str__(self) -> str:
        return self.name


class Contact(ArchivableModel, OwnedModel):
    """A real person associated with accounts."""

    name_prefix = models.CharField(max_length=20, blank=True)
    first_name = models.CharField(max_length=100, blank=True)
    middle_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100)
    gender = models.CharField(max_length=12, choices=Gender.choices, default=Gender.UNSPECIFIED)
    birthday = models.DateField(null=True, blank=True)
    job_title = models.CharField(max_length=150, blank=True)
    description = models.TextField(blank=True)
    # The primary e-mail and phone, kept equal to the rows marked primary below (by the services),
    # so that lists, search and the Outlook key never need a join.
    email = models.EmailField(blank=True)
    phone = PhoneNumberField(blank=True)

    tracked_m2m = ("accounts",)

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        indexes = [
            models.Index(fields=["organization", "last_name", "first_name"]),
            models.Index(fields=["organization", "email"]),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        parts = [self.name_prefix, self.first_name, self.middle_name, self.last_name]
        return " ".join(p for p in parts if p)


class EmailRow(models.Model):
    """One e-mail address of a person or customer; exactly one of a list is the primary."""

    email = models.EmailField()
    is_primary = models.BooleanField(default=False)

    class Meta:
        abstract = True
        ordering = ["-is_primary", "id"]

    def __str__(self) -> str:
        return self.email


class PhoneRow(models.Model):
    """One phone number of a person or customer, with its type; exactly one of a list is the primary."""

    number = PhoneNumberField()
    phone_type = models.CharField(max_length=12, choices=PhoneType.choices, default=PhoneType.BUSINESS)
    is_primary = models.BooleanField(default=False)

    class Meta:
        abstract = True
        ordering = ["-is_primary", "id"]

    def __str__(self) -> str:
        return str(self.number)


class ContactEmail(EmailRow):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="emails")

    class Meta(EmailRow.Meta):
        constraints = [
            models.UniqueConstraint(fields=["contact", "email"], name="contact_email_unique"),
            models.UniqueConstraint(fields=["contact"], condition=Q(is_primary=True), name="contact_one_primary_email"),
        ]


class ContactPhone(PhoneRow):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="phones")

    class Meta(PhoneRow.Meta):
        constraints = [
            models.UniqueConstraint(fields=["contact"], condition=Q(is_primary=True), name="contact_one_primary_phone"),
        ]


class Address(models.Model):
    street = models.CharField(max_length=255, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166 code, such as US")

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return ", ".join(p for p in [self.street, self.postal_code, self.city, self.region, self.country] if p)


class ContactAddress(Address):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="addresses")
    label = models.CharField(max_length=50, blank=True, help_text="Home, office, …")
    is_primary = models.BooleanField(default=False)

    class Meta:
        ordering = ["-is_primary", "id"]
        verbose_name_plural = "contact addresses"


class Channel(OrganizationModel):
    """A source of customers; the business channel is made per organization, commerce adds its own."""

    name = models.CharField(max_length=100)
    channel_type = models.CharField(max_length=16, choices=ChannelType.choices)

    class Meta:
        ordering = ["channel_type", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "channel_type", "name"], name="channel_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class BusinessCustomer(OwnedModel):
    """A B2B customer of the CRM (not a commerce customer); its value is its won opportunities."""

    name = models.CharField(max_length=255)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="business_customers")
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="business_customers")
    # The primary e-mail and phone, kept equal to the rows marked primary below (by the services),
    # so that lists and search never need a join.
    email = models.EmailField(blank=True)
    phone = PhoneNumberField(blank=True)
    billing_street = models.CharField(max_length=255, blank=True)
    billing_city = models.CharField(max_length=100, blank=True)
    billing_postal_code = models.CharField(max_length=20, blank=True)
    billing_country = models.CharField(max_length=2, blank=True)
    shipping_street = models.CharField(max_length=255, blank=True)
    shipping_city = models.CharField(max_length=100, blank=True)
    shipping_postal_code = models.CharField(max_length=20, blank=True)
    shipping_country = models.CharField(max_length=2, blank=True)
    lifetime_value = money_field(default=ZERO, editable=False)

    derived_fields = ("lifetime_value",)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["organization", "name"])]

    def __str__(self) -> str:
        return self.name


class BusinessCustomerEmail(EmailRow):
    customer = models.ForeignKey(BusinessCustomer, on_delete=models.CASCADE, related_name="emails")

    class Meta(EmailRow.Meta):
        constraints = [
            models.UniqueConstraint(fields=["customer", "email"], name="business_customer_email_unique"),
            models.UniqueConstraint(
                fields=["customer"], condition=Q(is_primary=True), name="business_customer_one_primary_email"
            ),
        ]


class BusinessCustomerPhone(PhoneRow):
    customer = models.ForeignKey(BusinessCustomer, on_delete=models.CASCADE, related_name="phones")

    class Meta(PhoneRow.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["customer"], condition=Q(is_primary=True), name="business_customer_one_primary_phone"
            ),
        ]


class Lead(ArchivableModel, OwnedModel):
    """A prospect, converted into an opportunity once qualified."""

    name = models.CharField(max_length=255, help_text="What the lead is about")
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    email = models.EmailField(blank=True)
    phone = PhoneNumberField(blank=True)
    company_name = models.CharField(max_length=255, blank=True)
    job_title = models.CharField(max_length=150, blank=True)
    status = models.CharField(max_length=16, choices=LeadStatus.choices, default=LeadStatus.NEW)
    source = models.CharField(max_length=100, blank=True)
    description = models.TextField(blank=True)
    account = models.ForeignKey(Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="leads")
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="leads")

    class Meta:
        ordering = ["-created_at", "id"]
        indexes = [models.Index(fields=["organization", "status"])]

    def __str__(self) -> str:
        return self.name


class Opportunity(ArchivableModel, OwnedModel):
    """A deal in progress; won ones count toward the lifetime sales value."""

    name = models.CharField(max_length=255)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="opportunities")
    # Any customer type registered in accounts.registry.customer_types (business here, commerce later).
    customer_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    customer_id = models.PositiveBigIntegerField(null=True, blank=True)
    customer = GenericForeignKey("customer_type", "customer_id")
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="opportunities")
    lead = models.ForeignKey(Lead, null=True, blank=True, on_delete=models.SET_NULL, related_name="opportunities")
    status = models.CharField(max_length=32, choices=OpportunityStatus.choices, default=OpportunityStatus.IN_PROGRESS)
    probability = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Percent",
    )
    budget_amount = money_field(null=True, blank=True, validators=[NOT_NEGATIVE])
    budget_currency = currency_field(blank=True)
    budget_amount_base = money_field(null=True, blank=True, editable=False)
    close_revenue = money_field(null=True, blank=True, validators=[NOT_NEGATIVE])
    close_revenue_currency = currency_field(blank=True)
    close_revenue_base = money_field(null=True, blank=True, editable=False)
    expected_close_date = models.DateField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    close_reason = models.CharField(max_length=16, choices=CloseReason.choices, blank=True)
    description = models.TextField(blank=True)

    history = HistoricalRecords(excluded_fields=["updated_at", "version", "archived_at"])

    class Meta:
        ordering = ["-created_at", "id"]
        verbose_name_plural = "opportunities"
        indexes = [
            models.Index(fields=["organization", "status", "expected_close_date"]),
            models.Index(fields=["customer_type", "customer_id"]),
            # The pipeline board's won and lost columns: deals closed lately.
            models.Index(fields=["organization", "status", "closed_at"], name="opportunity_closed"),
            # A rep's own board: their deals of a status in close-date order.
            models.Index(fields=["owner", "status", "expected_close_date"], name="opportunity_owner_board"),
            # A rep's own won and lost columns: their deals closed lately.
            models.Index(fields=["owner", "status", "closed_at"], name="opportunity_owner_closed"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(customer_type__isnull=True, customer_id__isnull=True)
                | Q(customer_type__isnull=False, customer_id__isnull=False),
                name="opportunity_customer_both_or_neither",
            )
        ]

    def __str__(self) -> str:
        return self.name


class PipelineTotal(models.Model):
    """The open, unarchived deals of one owner in one status: how many, their amount and weighted amount.

    Kept by the database (a trigger on opportunities, PostgreSQL; see migration 0007) on every write
    path, so the pipeline board's totals cost the same at any number of deals. Weighted amounts are
    rounded per deal to cents, as the board's cards show them.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    status = models.CharField(max_length=32, choices=OpportunityStatus.choices)
    count = models.IntegerField(default=0)
    total = money_field(default=ZERO)
    weighted = money_field(default=ZERO)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "owner", "status"], name="one_pipeline_total_per_owner_status"
            )
        ]

    def __str__(self) -> str:
        return f"{self.status}: {self.count}"


class PipelineClosedDay(models.Model):
    """The closed (won or lost), unarchived deals of one owner in one status closed on one UTC day (none
    when the time of closing is unknown): how many, their amount and weighted amount.

    Kept by the database like PipelineTotal (a trigger, PostgreSQL; see migration 0014): the board's won
    and lost columns sum the days of their window, a few rows a day whatever the number of deals.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    status = models.CharField(max_length=32, choices=OpportunityStatus.choices)
    closed_on = models.DateField(null=True)
    count = models.IntegerField(default=0)
    total = money_field(default=ZERO)
    weighted = money_field(default=ZERO)

    class Meta:
        indexes = [models.Index(fields=["organization", "status", "closed_on"], name="pipeline_closed_day_team")]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "owner", "status", "closed_on"],
                name="one_pipeline_closed_day",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        return f"{self.status} {self.closed_on}: {self.count}"


class OpportunityStatusProbability(models.Model):
    """An organization's own default probability for a status (otherwise the built-in default)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=32, choices=OpportunityStatus.choices)
    probability = models.DecimalField(
        max_digits=5, decimal_places=2, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "status"], name="one_probability_per_status")]
        verbose_name_plural = "opportunity status probabilities"

    def __str__(self) -> str:
        return f"{self.get_status_display()}: {self.probability}%"


class RelatedRecordModel(OwnedModel):
    """An activity attached to any record (account, contact, customer, lead, opportunity, …)."""

    related_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    related_id = models.PositiveBigIntegerField(null=True, blank=True)
    related = GenericForeignKey("related_type", "related_id")

    class Meta:
        abstract = True
        indexes = [models.Index(fields=["related_type", "related_id"])]


class UnconvertedDatetime(dt.datetime):
    """A stored time outside the accepted years, shown as stored: moving it to the viewer's time zone
    could take it past year 1 or 9999, which Python cannot represent (Django's templates honour the flag)."""

    convert_to_local_time = False


class DisplaySafeDatesMixin:
    """Rows whose stored times outside the accepted years still render (written before they were checked)."""

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        for field in cls._meta.concrete_fields:
            value = instance.__dict__.get(field.attname)
            if isinstance(value, dt.datetime) and not isinstance(value, UnconvertedDatetime) and not in_range(value):
                instance.__dict__[field.attname] = UnconvertedDatetime.combine(value.date(), value.timetz())
        return instance


class Task(DisplaySafeDatesMixin, ArchivableModel, RelatedRecordModel):
    """A to-do assigned to a rep (the owner)."""

    subject = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    start_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=TaskStatus.choices, default=TaskStatus.NOT_STARTED)
    priority = models.CharField(max_length=8, choices=TaskPriority.choices, default=TaskPriority.NORMAL)
    reminder_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta(RelatedRecordModel.Meta):
        ordering = ["due_at", "id"]
        indexes = [
            *RelatedRecordModel.Meta.indexes,
            models.Index(fields=["organization", "owner", "due_at"]),
        ]

    def __str__(self) -> str:
        return self.subject


class CalendarEvent(DisplaySafeDatesMixin, ArchivableModel, RelatedRecordModel):
    """An event in the owner's calendar; a series when it has a recurrence rule.

    All-day events run from local midnight of their first day to local midnight after the last
    day, in `time_zone`. A moved or changed occurrence of a series is its own row pointing at the
    series (`series`, `original_start`); a cancelled occurrence is listed in `cancelled_starts`.
    """

    title = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    location = models.CharField(max_length=255, blank=True)
    start = models.DateTimeField()
    end = models.DateTimeField()
    all_day = models.BooleanField(default=False)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    recurrence_rule = models.TextField(blank=True, help_text="RFC 5545 RRULE, such as FREQ=WEEKLY;BYDAY=MO")
    cancelled_starts = models.JSONField(default=list, blank=True, help_text="Start instants (UTC, ISO 8601)")
    series = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="exceptions")
    original_start = models.DateTimeField(null=True, blank=True)
    attendees = models.ManyToManyField(Contact, blank=True, related_name="events")

    tracked_m2m = ("attendees",)

    class Meta(RelatedRecordModel.Meta):
        ordering = ["start", "id"]
        indexes = [
            *RelatedRecordModel.Meta.indexes,
            models.Index(fields=["organization", "owner", "start"]),
        ]
        constraints = [models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="event_ends_after_start")]

    def __str__(self) -> str:
        return self.title


class Note(RelatedRecordModel):
    text = models.TextField()

    class Meta(RelatedRecordModel.Meta):
        ordering = ["-created_at", "id"]

    def __str__(self) -> str:
        return self.text[:60]


class AccountChannelValue(models.Model):
    """An account's lifetime sales value from one channel (no channel: won deals with no customer)."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="channel_values")
    channel = models.ForeignKey(Channel, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    amount = money_field(default=ZERO)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "channel"], name="account_channel_value_unique"),
            models.UniqueConstraint(
                fields=["account"], condition=Q(channel__isnull=True), name="account_no_channel_value_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel or 'No channel'}: {self.amount}"


class AccountValueChange(models.Model):
    """Every change of an account's lifetime sales value, for the chart over time."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="value_changes")
    lifetime_value = money_field()
    changed_at = models.DateTimeField(db_index=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.lifetime_value} at {self.changed_at:%Y-%m-%d %H:%M}"


class RecentlyViewedRecord(models.Model):
    """A record a user opened, for the dashboard's "recently viewed": one row per user and record, re-stamped."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    record_type = models.CharField(max_length=32)
    record_id = models.BigIntegerField()
    # The name as it read when opened: the dashboard lists it without reading every kind of record.
    label = models.CharField(max_length=255)
    viewed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "record_type", "record_id"], name="one_recent_view_per_record")
        ]
        indexes = [models.Index(fields=["user", "-viewed_at"], name="recent_views_by_user")]

    def __str__(self) -> str:
        return f"{self.record_type} {self.record_id}"
