"""Factories of CRM rows. Rows are made directly (fast, for set-up); tests of rules call the services."""

import datetime as dt

import factory
from django.utils import timezone

from accounts.choices import OpportunityStatus
from accounts.models import Account, BusinessCustomer, CalendarEvent, Channel, Contact, Lead, Note, Opportunity, Task
from tests.factories.core import OrganizationFactory, UserFactory


class OwnedFactory(factory.django.DjangoModelFactory):
    class Meta:
        abstract = True

    owner = factory.SubFactory(UserFactory)
    organization = factory.SelfAttribute("owner.organization")


class AccountFactory(OwnedFactory):
    class Meta:
        model = Account

    name = factory.Faker("company")


class ContactFactory(OwnedFactory):
    class Meta:
        model = Contact

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda c: f"{c.first_name}.{c.last_name}@example.com".lower())
    job_title = factory.Faker("job")


class ChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Channel
        django_get_or_create = ["organization", "channel_type", "name"]

    organization = factory.SubFactory(OrganizationFactory)
    channel_type = "business"
    name = "Business customers"


class BusinessCustomerFactory(OwnedFactory):
    class Meta:
        model = BusinessCustomer

    name = factory.Faker("company")
    account = factory.SubFactory(AccountFactory, owner=factory.SelfAttribute("..owner"))
    channel = factory.SubFactory(ChannelFactory, organization=factory.SelfAttribute("..organization"))


class LeadFactory(OwnedFactory):
    class Meta:
        model = Lead

    name = factory.Faker("catch_phrase")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    company_name = factory.Faker("company")


class OpportunityFactory(OwnedFactory):
    """An open opportunity; for won/lost ones and lifetime values use opportunity_save."""

    class Meta:
        model = Opportunity

    name = factory.Faker("bs")
    account = factory.SubFactory(AccountFactory, owner=factory.SelfAttribute("..owner"))
    status = OpportunityStatus.IN_PROGRESS
    probability = 10
    budget_amount = 1000
    budget_currency = "USD"
    budget_amount_base = factory.SelfAttribute("budget_amount")
    expected_close_date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=30))


class TaskFactory(OwnedFactory):
    class Meta:
        model = Task

    subject = factory.Faker("sentence", nb_words=4)
    due_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=1))


class CalendarEventFactory(OwnedFactory):
    class Meta:
        model = CalendarEvent

    title = factory.Faker("sentence", nb_words=3)
    start = factory.LazyFunction(lambda: timezone.now().replace(minute=0, second=0, microsecond=0))
    end = factory.LazyAttribute(lambda e: e.start + dt.timedelta(hours=1))
    time_zone = "UTC"


class NoteFactory(OwnedFactory):
    class Meta:
        model = Note

    text = factory.Faker("paragraph")
