"""A rep finds a contact from the top bar by typing part of an e-mail, reaching the box with "/"."""

import pytest

from tests.factories import AccountFactory, ContactFactory
from tests.factories.core import DEFAULT_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_rep_finds_a_contact_by_part_of_an_email(page, login, rep):
    ada = ContactFactory(owner=rep, first_name="Ada", last_name="Lovelace", email="ada.lovelace@analytical.example")
    ContactFactory(owner=rep, first_name="Charles", last_name="Babbage", email="charles@engines.example")
    AccountFactory(owner=rep, name="Analytical Engines Ltd")

    login("rep1", DEFAULT_PASSWORD)
    page.goto("/crm/accounts/")
    page.keyboard.press("/")
    box = page.locator("#global-search-input")
    assert box.evaluate("element => element === document.activeElement")

    box.press_sequentially("lovelace@anal", delay=30)
    results = page.locator("#global-search-results")
    contacts = results.locator('[data-search-group="contact"]')
    contacts.get_by_role("link", name="Ada Lovelace").wait_for()
    assert contacts.locator("h2").inner_text() == "Contacts"
    assert "Charles Babbage" not in results.inner_text()
    assert results.locator('[data-search-group="account"]').count() == 0

    # Escape closes the results; typing again brings them back, and a result opens the contact.
    box.press("Escape")
    assert results.inner_text() == ""
    box.fill("")
    box.press_sequentially("ada.love", delay=30)
    contacts.get_by_role("link", name="Ada Lovelace").click()
    page.wait_for_url(f"**/crm/contacts/{ada.pk}/")
    assert "Ada Lovelace" in page.locator("h1").inner_text()
