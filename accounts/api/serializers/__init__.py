"""Serializers of the CRM REST API: validate input (ids only among the caller's organization), shape output.

Writes go through the services (see views.py); these serializers never save. Every id in the input is
resolved among the rows the caller may read, so an id of another organization is a 400 naming the field.

The serializers live in modules by area (fields, records, opportunities, activities); every one is
re-exported here, so `from accounts.api import serializers` gives them all.
"""

from accounts.api.serializers.activities import (
    ActivitySerializer,
    CalendarEventSerializer,
    NoteSerializer,
    RelatedTypeField,
    TaskSerializer,
)
from accounts.api.serializers.fields import (
    RecordReferenceSerializer,
    ScopedPrimaryKeyRelatedField,
    record_reference,
    resolve_reference,
)
from accounts.api.serializers.opportunities import (
    CustomerTypeField,
    OpportunitySerializer,
    OpportunityStatusSerializer,
    StatusProbabilitiesSerializer,
    StatusProbabilitySerializer,
    customer_type_selectors,
)
from accounts.api.serializers.records import (
    AccountSerializer,
    BusinessCustomerSerializer,
    ChannelSerializer,
    ContactAddressSerializer,
    ContactListSerializer,
    ContactSerializer,
    EmailsField,
    LeadConvertSerializer,
    LeadSerializer,
    PhoneSerializer,
)

__all__ = [
    "AccountSerializer",
    "ActivitySerializer",
    "BusinessCustomerSerializer",
    "CalendarEventSerializer",
    "ChannelSerializer",
    "ContactAddressSerializer",
    "EmailsField",
    "ContactListSerializer",
    "PhoneSerializer",
    "ContactSerializer",
    "CustomerTypeField",
    "LeadConvertSerializer",
    "LeadSerializer",
    "NoteSerializer",
    "OpportunitySerializer",
    "OpportunityStatusSerializer",
    "RecordReferenceSerializer",
    "RelatedTypeField",
    "ScopedPrimaryKeyRelatedField",
    "StatusProbabilitiesSerializer",
    "StatusProbabilitySerializer",
    "TaskSerializer",
    "customer_type_selectors",
    "record_reference",
    "resolve_reference",
]
