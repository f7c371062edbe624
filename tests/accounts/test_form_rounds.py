"""Forms show every problem in one round, outline each invalid field, refuse negative amounts, and a
record the user may not change says why instead of offering Edit."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from accounts.models import Opportunity, Task
from tests.factories import (
    AccountFactory,
    BusinessCustomerFactory,
    ContactFactory,
    OpportunityFactory,
    TaskFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def invalid_fields(html: str) -> set[str]:
    """Names of the fields drawn with the invalid outline."""
    names = set()
    for tag in re.findall(r"<(?:input|select|textarea)[^>]*>", html):
        if "is-invalid" in tag and 'aria-invalid="true"' in tag:
            names.update(re.findall(r'name="([^"]+)"', tag))
    return names


def test_task_form_shows_the_cross_field_error_with_the_others_at_once(rep, session_client):
    response = session_client(rep).post(
        reverse("accounts:task-create"),
        {
            "subject": "",
            "status": "not_started",
            "priority": "normal",
            "start_at": "2026-11-25T10:00",
            "due_at": "2026-11-24T10:00",
        },
    )
    html = response.content.decode()
    assert "This field is required." in html
    assert "The due date cannot be before the start date." in html
    assert {"subject", "due_at"} <= invalid_fields(html)
    # The summary on top links to each field to correct.
    summary = html.split('id="form-errors"')[1].split("</div>")[0]
    assert 'href="#id_subject"' in summary and 'href="#id_due_at"' in summary
    assert not Task.objects.exists()


def test_opportunity_form_shows_negative_amount_and_wrong_customer_with_a_missing_name(rep, session_client):
    account, other = AccountFactory(owner=rep, name="Ours"), AccountFactory(owner=rep, name="Theirs")
    customer = BusinessCustomerFactory(owner=rep, account=other, name="Their buyer")
    response = session_client(rep).post(
        reverse("accounts:opportunity-create"),
        {
            "name": "",
            "account": account.pk,
            "customer": customer.pk,
            "status": "in_progress",
            "budget_amount": "-5",
            "budget_currency": "USD",
            "owner": rep.pk,
        },
    )
    html = response.content.decode()
    assert "This field is required." in html
    assert "An amount cannot be negative." in html
    assert "Their buyer belongs to another account (Theirs)" in html
    assert {"name", "budget_amount", "customer"} <= invalid_fields(html)
    assert not Opportunity.objects.exists()


def test_someone_elses_record_says_why_it_cannot_be_changed(rep, session_client):
    sam = UserFactory(organization=rep.organization, first_name="Sam", last_name="Seller")
    deal = OpportunityFactory(owner=sam)
    contact = ContactFactory(owner=sam)
    task = TaskFactory(owner=sam, due_at=dt.datetime(2026, 11, 25, 10, tzinfo=dt.UTC))
    client = session_client(rep)
    for page in (
        reverse("accounts:opportunity-detail", args=[deal.pk]),
        reverse("accounts:contact-detail", args=[contact.pk]),
        reverse("accounts:task-detail", args=[task.pk]),
    ):
        html = client.get(page).content.decode()
        assert "Owned by Sam Seller; only the owner and managers can change it." in html, page
        assert ">Edit</a>" not in html, page

    own = OpportunityFactory(owner=rep)
    html = client.get(reverse("accounts:opportunity-detail", args=[own.pk])).content.decode()
    assert ">Edit</a>" in html and "read-only-reason" not in html


def test_activity_filters_outline_a_wrong_range_and_keep_what_was_typed(rep, session_client):
    account = AccountFactory(owner=rep)
    html = (
        session_client(rep)
        .get(
            reverse("accounts:account-activities", args=[account.pk]),
            {"date_from": "2026-11-25", "date_to": "2026-11-01"},
        )
        .content.decode()
    )
    assert "The end date cannot be before the start date." in html
    assert {"date_to"} == invalid_fields(html)
    assert 'value="2026-11-25"' in html
