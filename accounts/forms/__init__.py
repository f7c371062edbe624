"""Forms of the sales reps' web UI, by area. Import from the submodules or from here."""

from accounts.forms.activities import (
    ActivityFilterForm,
    EventForm,
    NoteForm,
    RelatedFormMixin,
    TaskForm,
    related_key,
    related_record_from_key,
    simple_repeat,
)
from accounts.forms.base import DATE_INPUT, RecordForm, UserChoiceField, owner_queryset
from accounts.forms.contacts import (
    BusinessCustomerForm,
    ContactAddressForm,
    ContactAddressFormSet,
    ContactForm,
    ContactPointsForm,
)
from accounts.forms.opportunities import CurrencyField, CustomerChoiceField, OpportunityForm
from accounts.forms.pipeline import ForecastFilterForm, OwnerChoiceField, OwnerFilterForm
from accounts.forms.records import AccountForm, LeadForm

__all__ = [
    "DATE_INPUT",
    "AccountForm",
    "ActivityFilterForm",
    "BusinessCustomerForm",
    "ContactAddressForm",
    "ContactAddressFormSet",
    "ContactForm",
    "ContactPointsForm",
    "CurrencyField",
    "CustomerChoiceField",
    "EventForm",
    "ForecastFilterForm",
    "LeadForm",
    "NoteForm",
    "OpportunityForm",
    "OwnerChoiceField",
    "OwnerFilterForm",
    "RecordForm",
    "RelatedFormMixin",
    "TaskForm",
    "UserChoiceField",
    "owner_queryset",
    "related_key",
    "related_record_from_key",
    "simple_repeat",
]
