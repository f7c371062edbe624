"""A rep attaches a task to an opportunity through the related-record picker, never typing a key."""

import re

import pytest

from accounts.models import Task
from tests.factories import AccountFactory, ContactFactory, OpportunityFactory
from tests.factories.core import DEFAULT_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_rep_attaches_a_task_to_an_opportunity_through_the_picker(page, login, pick, rep):
    account = AccountFactory(owner=rep, name="Baldwin Museum")
    deal = OpportunityFactory(owner=rep, account=account, name="Baldwin rollout")
    ContactFactory(owner=rep, first_name="Baldwin", last_name="Smith")

    login("rep1", DEFAULT_PASSWORD)
    page.goto("/crm/tasks/new/")
    page.fill("#id_subject", "Send the Baldwin proposal")

    page.locator("#id_related + .ts-wrapper .ts-control").click()
    page.keyboard.type("baldw", delay=30)
    dropdown = page.locator("#id_related-ts-dropdown")
    # Every kind of record matching is offered, under its kind, by name: no key in sight.
    dropdown.locator(".option", has_text="Baldwin rollout").wait_for()
    text = dropdown.inner_text()
    assert "Opportunities" in text and "Accounts" in text and "Contacts" in text
    assert "Baldwin Museum" in text and "Baldwin Smith" in text
    assert "accounts." not in text
    dropdown.locator(".option", has_text="Baldwin rollout").click()
    assert "Baldwin rollout" in page.locator("[data-field=related]").inner_text()
    assert "accounts." not in page.locator("main").inner_text()

    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r".*/crm/tasks/\d+/$"))
    task = Task.objects.get(subject="Send the Baldwin proposal")
    assert task.related == deal
    assert "Baldwin rollout" in page.locator("main").inner_text()


def test_event_form_carries_only_the_chosen_contacts_and_finds_others_as_one_types(page, login, pick, rep):
    for number in range(60):
        ContactFactory(owner=rep, first_name=f"Person{number:02d}", last_name="Crowd")
    ContactFactory(owner=rep, first_name="Ada", last_name="Lovelace", email="ada@analytical.example")

    login("rep1", DEFAULT_PASSWORD)
    page.goto("/crm/events/new/")
    assert page.locator("#id_attendees option").count() == 0
    assert page.locator("#id_time_zone option").count() == 1

    page.fill("#id_title", "Engine review")
    page.fill("#id_start", "2026-12-01T10:00")
    pick("id_attendees", "analyt", "Ada Lovelace")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r".*/crm/events/\d+/$"))
    assert "Ada Lovelace" in page.locator("main").inner_text()
