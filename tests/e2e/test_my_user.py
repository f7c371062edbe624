import httpx
import pytest

from tests.factories.core import DEFAULT_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_rep_logs_in_generates_a_key_and_the_plugin_uses_it(page, login, rep, live_server):
    login("rep1", DEFAULT_PASSWORD)
    page.click("#user-menu")
    page.click("text=My user")
    page.wait_for_url("**/me/")
    assert page.inner_text("[data-testid=username]") == "rep1"

    page.click("button:has-text('Generate API key')")
    key = page.input_value("#new-api-key")
    assert len(key) > 30

    me = httpx.get(f"{live_server.url}/api/me/", auth=("rep1", key))
    assert me.status_code == 200 and me.json()["organization"]["name"] == "Acme Corp"
    assert httpx.get(f"{live_server.url}/api/me/", auth=("rep1", DEFAULT_PASSWORD)).status_code == 401

    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button:has-text('Revoke key')")
    page.wait_for_selector("text=You have no active API key")
    assert httpx.get(f"{live_server.url}/api/me/", auth=("rep1", key)).status_code == 401


def test_menu_collapses_on_a_phone(browser, live_server, rep):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 800})
    page = context.new_page()
    page.goto("/login/")
    page.fill("#id_username", "rep1")
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/")
    assert not page.is_visible("#user-menu")
    page.click(".navbar-toggler")
    page.wait_for_selector("#user-menu", state="visible")
    context.close()
