import os
import shutil

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.conftest import need_service

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser():
    need_service(os.path.exists(CHROMIUM) or bool(shutil.which("chromium")), "Chromium (/usr/bin/chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def login(page):
    def do(username: str, password: str):
        page.goto("/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_url("**/")

    return do


@pytest.fixture
def pick(page):
    """Choose an option of a searchable picker by typing part of it, as a user does."""

    def do(field_id: str, typed: str, option: str):
        page.locator(f"#{field_id} + .ts-wrapper .ts-control").click()
        page.keyboard.type(typed, delay=30)
        # The search answers after a pause in typing: clicking an option of an earlier answer lets the late one
        # open the list again over the next field.
        if page.get_attribute(f"#{field_id}", "data-picker-url"):
            page.wait_for_load_state("networkidle")
        choice = page.locator(f"#{field_id}-ts-dropdown .option", has_text=option).first
        try:
            choice.wait_for(state="visible", timeout=5000)
        except PlaywrightTimeoutError:
            # A click that landed while the list was closing (a multiple picker keeps it open after a choice)
            # closed it again: a user clicks once more to see the list.
            page.locator(f"#{field_id} + .ts-wrapper .ts-control").click()
        choice.click()
        if not page.eval_on_selector(f"#{field_id}", "select => select.multiple"):
            page.locator(f"#{field_id}-ts-dropdown").wait_for(state="hidden")

    return do
