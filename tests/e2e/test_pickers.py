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


def test_list_filters_pick_statuses_and_owners_by_typing(page, login, pick, manager, rep, organization):
    """Statuses and owners in a list's filters are searchable pickers: no Ctrl-click list, no list of every user."""
    from tests.factories import UserFactory

    sam = UserFactory(organization=organization, username="sam", first_name="Sam", last_name="Seller")
    for number in range(30):
        UserFactory(organization=organization, first_name=f"Crowd{number:02d}", last_name="Member")
    OpportunityFactory(owner=sam, name="Sam negotiating", status="negotiation")
    OpportunityFactory(owner=sam, name="Sam proposing", status="solution_development")
    OpportunityFactory(owner=sam, name="Sam starting", status="in_progress")
    OpportunityFactory(owner=rep, name="Rep negotiating", status="negotiation")

    login("manager1", DEFAULT_PASSWORD)
    page.goto("/crm/opportunities/")
    # The owner filter carries none of the organization's people until one is chosen.
    assert page.locator("#id_owner option").count() == 0
    assert page.locator("#id_status + .ts-wrapper").is_visible()
    assert "ts-hidden-accessible" in page.locator("#id_status").get_attribute("class")  # the plain one is hidden

    pick("id_status", "negot", "Negotiation")
    page.keyboard.press("Escape")
    pick("id_status", "solution", "Solution development")
    page.keyboard.press("Escape")
    pick("id_owner", "seller", "Sam Seller")  # a click, just after the status box had focus, lands
    page.keyboard.press("Escape")
    chosen = page.locator("#list-filters .ts-wrapper .item").all_inner_texts()
    assert any("Negotiation" in text for text in chosen) and any("Sam Seller" in text for text in chosen)

    page.click("#list-filters button[type=submit]")
    page.wait_for_url(re.compile(r".*status=negotiation.*"))
    names = page.locator("#record-list tbody").inner_text()
    assert "Sam negotiating" in names and "Sam proposing" in names
    assert "Sam starting" not in names and "Rep negotiating" not in names
    # The filters come back as chosen, and an × removes one.
    status_items = page.locator("#id_status + .ts-wrapper .item")
    assert status_items.count() == 2
    assert "Negotiation" in status_items.nth(0).inner_text() or "Negotiation" in status_items.nth(1).inner_text()
    assert "Sam Seller" in page.locator("#id_owner + .ts-wrapper").inner_text()
    status_items.filter(has_text="Solution development").locator(".remove").click()
    page.click("#list-filters button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "solution_development" not in page.url
    names = page.locator("#record-list tbody").inner_text()
    assert "Sam negotiating" in names and "Sam proposing" not in names


def test_task_filters_and_new_owner_are_pickers(page, login, pick, manager, rep, organization):
    from accounts.models import Task as TaskModel
    from tests.factories import TaskFactory, UserFactory

    sam = UserFactory(organization=organization, username="sam", first_name="Sam", last_name="Seller")
    urgent = TaskFactory(owner=rep, subject="Urgent call", priority="high")
    TaskFactory(owner=rep, subject="Calm call", priority="low")

    login("manager1", DEFAULT_PASSWORD)
    page.goto("/crm/tasks/")
    pick("id_priority", "hig", "High")
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r".*priority=high.*"))
    rows = page.locator("table tbody").inner_text()
    assert "Urgent call" in rows and "Calm call" not in rows

    # The new owner of ticked tasks is found by typing a name.
    assert page.locator("#bulk-owner option").count() == 1
    page.check(f"input[name=ids][value='{urgent.pk}']")
    pick("bulk-owner", "sell", "Sam Seller")
    page.click("#bulk-reassign")
    page.wait_for_selector("text=1 reassigned.")
    assert TaskModel.objects.get(pk=urgent.pk).owner == sam
