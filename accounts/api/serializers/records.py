"""Serializers of the CRM records: accounts, contacts, business customers, leads and channels."""

from phonenumber_field.serializerfields import PhoneNumberField
from rest_framework import serializers

from accounts.api.serializers.fields import (
    ModelSerializer,
    ScopedPrimaryKeyRelatedField,
    StrictCharField,
    StrictDecimalField,
    owner_field,
)
from accounts.choices import PhoneType
from accounts.models import Account, BusinessCustomer, Channel, Contact, ContactAddress, Lead
from accounts.selectors import account_list, contact_list
from accounts.services.records import MAX_LIST_ROWS


class AccountSerializer(ModelSerializer):
    """An account with its contacts (ids), default contact and referring account."""

    owner = owner_field()
    contacts = ScopedPrimaryKeyRelatedField(selector=contact_list, model=Contact, many=True, required=False)
    default_contact = ScopedPrimaryKeyRelatedField(
        selector=contact_list, model=Contact, required=False, allow_null=True
    )
    referred_by = ScopedPrimaryKeyRelatedField(selector=account_list, model=Account, required=False, allow_null=True)

    class Meta:
        model = Account
        fields = [
            "id",
            "name",
            "description",
            "owner",
            "contacts",
            "default_contact",
            "referred_by",
            "lifetime_value",
            "version",
            "archived_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["lifetime_value", "version", "created_at", "updated_at"]


class EmailsField(serializers.ListField):
    """A contact's or business customer's e-mail addresses, primary first; on input the first becomes the primary."""

    child = serializers.EmailField()

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", MAX_LIST_ROWS)
        super().__init__(**kwargs)

    def to_representation(self, data):
        return [row.email for row in data.all()]


class PhoneSerializer(serializers.Serializer):
    """One phone number of a contact or business customer, with its type."""

    number = PhoneNumberField()
    type = serializers.ChoiceField(choices=PhoneType.choices, source="phone_type", default=PhoneType.BUSINESS)


# The names these had while only contacts had several e-mails and phones.


class ContactAddressSerializer(ModelSerializer):
    """One postal address of a contact; on input the list replaces the stored one and its first is primary."""

    class Meta:
        model = ContactAddress
        fields = ["label", "street", "city", "region", "postal_code", "country", "is_primary"]
        read_only_fields = ["is_primary"]

    def validate_country(self, value: str) -> str:
        if value and not (len(value) == 2 and value.isalpha()):
            raise serializers.ValidationError("Use the two-letter country code, such as US or DE.")
        return value.upper()


# The contact row as lists return it; the detail adds the nested lists before owner/version/timestamps.
CONTACT_ROW_FIELDS = [
    "id",
    "name_prefix",
    "first_name",
    "middle_name",
    "last_name",
    "full_name",
    "gender",
    "birthday",
    "job_title",
    "description",
    "email",
    "phone",
    "archived_at",
    "owner",
    "version",
    "created_at",
    "updated_at",
]


class ContactSerializer(ModelSerializer):
    """A person with several e-mails and phones (the first of each is the primary)."""

    owner = owner_field()
    full_name = serializers.CharField(read_only=True)
    email = serializers.EmailField(read_only=True, allow_blank=True, help_text="The primary e-mail, empty when none.")
    phone = serializers.CharField(read_only=True, help_text="The primary phone (E.164).")
    emails = EmailsField(required=False, help_text="Primary first.")
    phones = PhoneSerializer(many=True, required=False, max_length=MAX_LIST_ROWS, help_text="Primary first.")
    addresses = ContactAddressSerializer(
        many=True, required=False, max_length=MAX_LIST_ROWS, help_text="Primary first."
    )
    accounts = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Contact
        fields = [*CONTACT_ROW_FIELDS[:-4], "emails", "phones", "addresses", "accounts", *CONTACT_ROW_FIELDS[-4:]]
        read_only_fields = ["version", "created_at", "updated_at"]


class ContactListSerializer(ModelSerializer):
    """A contact as lists show it: the row with its primary e-mail and phone (GET contacts/{id}/ gives them all)."""

    full_name = serializers.CharField(read_only=True)
    email = serializers.EmailField(read_only=True, allow_blank=True, help_text="The primary e-mail, empty when none.")
    phone = serializers.CharField(read_only=True, help_text="The primary phone (E.164).")

    class Meta:
        model = Contact
        fields = CONTACT_ROW_FIELDS
        read_only_fields = fields


class BusinessCustomerSerializer(ModelSerializer):
    """A B2B customer of an account with several e-mails and phones (the first of each is the primary).

    Its lifetime value is the close revenue of its won opportunities.
    """

    owner = owner_field()
    account = ScopedPrimaryKeyRelatedField(selector=account_list, model=Account)
    contact = ScopedPrimaryKeyRelatedField(selector=contact_list, model=Contact, required=False, allow_null=True)
    email = serializers.EmailField(read_only=True, allow_blank=True, help_text="The primary e-mail, empty when none.")
    phone = serializers.CharField(read_only=True, help_text="The primary phone (E.164).")
    emails = EmailsField(required=False, help_text="Primary first.")
    phones = PhoneSerializer(many=True, required=False, max_length=MAX_LIST_ROWS, help_text="Primary first.")

    class Meta:
        model = BusinessCustomer
        fields = [
            "id",
            "name",
            "account",
            "contact",
            "channel",
            "email",
            "phone",
            "emails",
            "phones",
            "billing_street",
            "billing_city",
            "billing_postal_code",
            "billing_country",
            "shipping_street",
            "shipping_city",
            "shipping_postal_code",
            "shipping_country",
            "lifetime_value",
            "owner",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["channel", "lifetime_value", "version", "created_at", "updated_at"]


class LeadSerializer(ModelSerializer):
    """A prospect; convert it with POST leads/{id}/convert/."""

    owner = owner_field()
    account = ScopedPrimaryKeyRelatedField(selector=account_list, model=Account, required=False, allow_null=True)
    contact = ScopedPrimaryKeyRelatedField(selector=contact_list, model=Contact, required=False, allow_null=True)
    phone = PhoneNumberField(required=False, allow_blank=True)

    class Meta:
        model = Lead
        fields = [
            "id",
            "name",
            "first_name",
            "last_name",
            "email",
            "phone",
            "company_name",
            "job_title",
            "status",
            "source",
            "description",
            "account",
            "contact",
            "owner",
            "version",
            "archived_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["version", "created_at", "updated_at"]


class LeadConvertSerializer(serializers.Serializer):
    """Options of a lead conversion: an existing account and contact to use, and the new opportunity's name,
    amount and expected close date."""

    account = ScopedPrimaryKeyRelatedField(
        selector=account_list,
        model=Account,
        required=False,
        allow_null=True,
        help_text="Defaults to the lead's account, else one named like its company (made when missing).",
    )
    opportunity_name = StrictCharField(required=False, allow_blank=True, max_length=255)
    contact = ScopedPrimaryKeyRelatedField(
        selector=contact_list,
        model=Contact,
        required=False,
        allow_null=True,
        help_text="Defaults to the lead's contact, else one made from the lead's person.",
    )
    budget_amount = StrictDecimalField(max_digits=18, decimal_places=2, min_value=0, required=False, allow_null=True)
    budget_currency = StrictCharField(
        required=False, allow_blank=True, max_length=3, help_text="Defaults to the organization's base currency."
    )
    expected_close_date = serializers.DateField(required=False, allow_null=True)


class ChannelSerializer(ModelSerializer):
    """A source of customers (business, commerce, external web store)."""

    class Meta:
        model = Channel
        fields = ["id", "name", "channel_type"]
