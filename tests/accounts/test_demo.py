"""`seed_demo` fills the demo organization's CRM so that every page has something to show."""

import datetime as dt
import zoneinfo
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from accounts.choices import ChannelType, LeadStatus, OpportunityStatus, TaskStatus
from accounts.models import (
    Account,
    AccountChannelValue,
    AccountValueChange,
    BusinessCustomer,
    CalendarEvent,
    Contact,
    ContactEmail,
    ContactPhone,
    Lead,
    Note,
    Opportunity,
    Task,
)
from accounts.services import lifetime_recalculate
from backoffice.management.commands import seed_demo
from backoffice.models import Organization, User

CRM_MODELS = [
    Account,
    Contact,
    ContactEmail,
    ContactPhone,
    BusinessCustomer,
    Lead,
    Opportunity,
    Opportunity.history.model,
    Task,
    CalendarEvent,
    Note,
    AccountChannelValue,
    AccountValueChange,
]


def run_seed_demo() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def seeded_once(django_db_setup, django_db_blocker, tmp_path_factory):
    """One seed_demo run for the whole module (it takes seconds), in a transaction rolled back at the end.

    Each test still runs in its own savepoint inside it (the `db` fixture), so what a test writes is undone
    before the next one; passwords are kept out of the checkout's var/.
    """
    credentials = tmp_path_factory.mktemp("demo") / "demo_credentials.json"
    with django_db_blocker.unblock(), pytest.MonkeyPatch.context() as patch, transaction.atomic():
        patch.setattr(seed_demo, "CREDENTIALS_FILE", credentials)
        output = run_seed_demo()
        yield Organization.objects.get(name=seed_demo.DEMO_ORGANIZATION), output
        transaction.set_rollback(True)


@pytest.fixture
def demo(seeded_once, db):
    """The demo organization after one seed_demo run, and what the command printed."""
    return seeded_once


def test_demo_has_records_on_every_list(demo):
    organization, output = demo
    assert "opportunities" in output  # progress is reported
    scoped = {"organization": organization}
    assert 30 <= Account.objects.filter(**scoped).count() <= 60
    assert Contact.objects.filter(**scoped).count() >= 250
    assert BusinessCustomer.objects.filter(**scoped).count() >= 20
    assert set(Lead.objects.filter(**scoped).values_list("status", flat=True)) == set(LeadStatus.values)
    assert Account.objects.filter(**scoped, contacts__isnull=False).distinct().count() >= 30

    contacts = Contact.objects.filter(**scoped)
    # The primary e-mail and phone shown in lists are the rows marked primary; some people have several.
    for contact in contacts.prefetch_related("emails", "phones")[:50]:
        assert contact.email == contact.emails.all()[0].email
        assert contact.phone == contact.phones.all()[0].number
    assert ContactEmail.objects.filter(contact__organization=organization).count() > contacts.count()
    assert ContactPhone.objects.filter(contact__organization=organization).count() > contacts.count()
    assert contacts.exclude(birthday=None).exists()
    assert contacts.filter(addresses__isnull=False).exists()
    assert len(set(contacts.values_list("gender", flat=True))) == 3


def test_demo_opportunities_fill_pipeline_forecast_and_lifetime_values(demo):
    organization, _ = demo
    opportunities = Opportunity.objects.filter(organization=organization)
    assert 60 <= opportunities.count() <= 120
    assert set(opportunities.values_list("status", flat=True)) == set(OpportunityStatus.values)
    assert set(opportunities.values_list("owner__username", flat=True)) == {"admin", "rep1", "rep2"}

    today = timezone.localdate(timezone=zoneinfo.ZoneInfo(organization.time_zone))
    open_deals = opportunities.exclude(status__in=[OpportunityStatus.WON, OpportunityStatus.LOST])
    assert open_deals.filter(expected_close_date__lt=today).exists()
    assert open_deals.filter(expected_close_date__gt=today + dt.timedelta(days=60)).exists()
    assert open_deals.filter(expected_close_date=None).exists()  # "indeterminate" in the forecast
    euro = opportunities.filter(budget_currency="EUR").first()
    assert euro is not None and euro.budget_amount_base != euro.budget_amount

    won = opportunities.filter(status=OpportunityStatus.WON)
    assert not won.filter(close_revenue=None).exists()
    assert not opportunities.filter(status__in=[OpportunityStatus.WON, OpportunityStatus.LOST], closed_at=None).exists()
    assert won.filter(customer_id__isnull=False).exists()
    # Deals moved through the pipeline in the past, so "compare to date" has history to read.
    history = Opportunity.history.model.objects.filter(organization=organization)
    assert history.filter(history_date__lt=timezone.now() - dt.timedelta(days=30)).exists()
    assert history.count() > opportunities.count()

    accounts = Account.objects.filter(organization=organization)
    assert accounts.filter(lifetime_value__gt=0).count() >= 5
    assert AccountChannelValue.objects.filter(
        account__organization=organization, channel__channel_type=ChannelType.BUSINESS, amount__gt=0
    ).exists()
    assert AccountValueChange.objects.filter(account__organization=organization).dates("changed_at", "day").count() > 3

    # The incrementally kept values are exactly what a full recalculation gives.
    values_before = dict(accounts.values_list("pk", "lifetime_value"))
    channels_before = set(
        AccountChannelValue.objects.filter(account__organization=organization).values_list(
            "account_id", "channel_id", "amount"
        )
    )
    customers_before = dict(
        BusinessCustomer.objects.filter(organization=organization).values_list("pk", "lifetime_value")
    )
    assert lifetime_recalculate(organization=organization) == 0
    assert dict(accounts.values_list("pk", "lifetime_value")) == values_before
    assert (
        set(
            AccountChannelValue.objects.filter(account__organization=organization).values_list(
                "account_id", "channel_id", "amount"
            )
        )
        == channels_before
    )
    assert (
        dict(BusinessCustomer.objects.filter(organization=organization).values_list("pk", "lifetime_value"))
        == customers_before
    )


def test_demo_tasks_and_events_are_around_today(demo):
    organization, _ = demo
    zone = zoneinfo.ZoneInfo(organization.time_zone)
    now = timezone.now()
    today = timezone.localdate(now, timezone=zone)
    end_of_today = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(0), zone)

    tasks = Task.objects.filter(organization=organization)
    pending = tasks.exclude(status=TaskStatus.COMPLETED)
    assert pending.filter(due_at__lt=now).count() >= 5  # overdue
    assert pending.filter(due_at__gte=now, due_at__lt=end_of_today).count() >= 5  # due later today
    assert pending.filter(due_at__gte=end_of_today).count() >= 5  # upcoming
    assert not tasks.filter(status=TaskStatus.COMPLETED, completed_at=None).exists()
    assert tasks.filter(status=TaskStatus.COMPLETED).count() >= 5
    assert set(tasks.values_list("owner__username", flat=True)) == {"admin", "rep1", "rep2"}

    events = CalendarEvent.objects.filter(organization=organization)
    week_start = dt.datetime.combine(today - dt.timedelta(days=today.weekday()), dt.time(0), zone)
    this_week = events.filter(start__gte=week_start, start__lt=week_start + dt.timedelta(days=7))
    assert this_week.count() >= 5
    assert events.exclude(recurrence_rule="").filter(start__lt=week_start).exists()  # a series reaching this week
    assert events.filter(all_day=True).exists()
    assert events.filter(attendees__isnull=False).exists()
    assert Note.objects.filter(organization=organization).count() >= 20


def test_seed_demo_twice_adds_nothing(demo):
    counts = {model: model.objects.count() for model in CRM_MODELS}
    output = run_seed_demo()
    assert "already present" in output
    assert {model: model.objects.count() for model in CRM_MODELS} == counts


def test_seed_demo_is_idempotent(demo, client):
    # seed_demo's own promise (a core command): run again, it makes no second organization or users, and the
    # passwords it printed the first time still sign in.
    _, first_output = demo
    run_seed_demo()
    assert Organization.objects.filter(name="Demo Organization").count() == 1
    assert set(User.objects.values_list("username", flat=True)) >= {"admin", "rep1", "rep2"}
    password = next(line.split()[1] for line in first_output.splitlines() if line.strip().startswith("rep1"))
    assert client.login(username="rep1", password=password)
