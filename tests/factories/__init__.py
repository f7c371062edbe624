from tests.factories.core import ApiKeyFactory, OrganizationFactory, UserFactory
from tests.factories.crm import (
    AccountFactory,
    BusinessCustomerFactory,
    CalendarEventFactory,
    ChannelFactory,
    ContactFactory,
    LeadFactory,
    NoteFactory,
    OpportunityFactory,
    TaskFactory,
)

__all__ = [
    "AccountFactory",
    "ApiKeyFactory",
    "BusinessCustomerFactory",
    "CalendarEventFactory",
    "ChannelFactory",
    "ContactFactory",
    "LeadFactory",
    "NoteFactory",
    "OpportunityFactory",
    "OrganizationFactory",
    "TaskFactory",
    "UserFactory",
]
