"""A rep archives a contact, finds it again with the Archived filter, restores it and reads both in its history."""

import pytest

from accounts.models import Contact
from accounts.services import contact_save
from tests.factories.core import DEFAULT_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_rep_archives_finds_and_restores_a_contact(page, login, rep):
    contact = contact_save(actor=rep, data={"first_name": "Ada", "last_name": "Lovelace"}, emails=["ada@example.com"])
    login("rep1", DEFAULT_PASSWORD)

    page.goto(f"/crm/contacts/{contact.pk}/")
    page.click("[data-role=archive]")
    page.wait_for_selector("[data-role=archived-notice]")
    assert Contact.objects.get(pk=contact.pk).archived_at is not None

    # Gone from the list...
    page.goto("/crm/contacts/")
    assert page.locator("text=Ada Lovelace").count() == 0
    # ...and found with the Archived filter.
    page.select_option("#list-filters select[name=archived]", "archived")
    page.click("#list-filters button[type=submit]")
    page.wait_for_url("**archived=archived**")
    page.click("text=Ada Lovelace")

    page.click("[data-role=restore]")
    page.wait_for_selector("[data-role=archive]")
    assert Contact.objects.get(pk=contact.pk).archived_at is None

    # The history (loaded with htmx) names both actions, newest first, with who and where.
    history = page.locator("#record-history [data-history-action]")
    history.first.wait_for()
    actions = history.locator("[data-role=action]").all_inner_texts()
    assert actions[:2] == ["restored", "archived"]
    assert history.first.locator("[data-role=origin]").inner_text() == "web"

    page.goto("/crm/contacts/")
    assert page.locator("text=Ada Lovelace").count() == 1
