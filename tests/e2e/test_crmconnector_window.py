"""The CRM Connector Configuration window in Chromium: an admin fills a configuration, sees the messages next to
the fields with the focus on the first one, tests the connection and switches the connector on; axe finds no
serious accessibility violation on its pages."""

import pytest

from crmconnector.models import CrmConnectorActivation, CrmConnectorConfiguration
from tests.crmconnector.conftest import rest_crm  # noqa: F401 - the local JSON CRM of the connector tests
from tests.e2e.test_accessibility import blocking_violations
from tests.factories.core import DEFAULT_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_admin_configures_tests_and_enables_a_crm(page, login, org_admin, rest_crm):  # noqa: F811
    login("orgadmin", DEFAULT_PASSWORD)
    page.goto("/configuration/crm-connector/")
    assert blocking_violations(page) == []
    page.click("#new-configuration")
    page.fill("#id_name", "Shop CRM")
    page.select_option("#id_connector", "generic_rest")
    page.fill("#id_base_url", rest_crm.url)
    page.fill("#id_secret", "test-crm-key")
    page.fill("#id_timeout_seconds", "2")
    page.fill(
        "#id_options",
        '{"search_url": "/customers", "get_url": "/customers/{reference}", "create_url": "/customers", '
        '"update_url": "/customers/{reference}", "results_path": "results", "health_url": "/health", '
        '"auth": "header", "auth_header": "X-Api-Key"}',
    )
    page.fill("#id_properties-0-external_field", "id")
    page.fill("#id_properties-0-label", "Reference")
    page.fill("#id_properties-0-validation_regex", "(a+)+")
    page.click("#save-configuration")

    # Refused: the message is next to its field, listed on top, and the focus is on the first invalid field.
    assert page.locator("#form-errors").is_visible()
    assert "Nested repetition" in page.locator("#id_properties-0-validation_regex_error").inner_text()
    assert "Exactly one property must be the reference key." in page.locator("#form-errors").inner_text()
    assert page.evaluate("document.activeElement.id") == "id_properties-0-validation_regex"
    assert blocking_violations(page) == []
    assert not CrmConnectorConfiguration.objects.exists()

    page.fill("#id_secret", "test-crm-key")
    page.fill("#id_properties-0-validation_regex", "")
    page.check("#id_properties-0-is_reference")
    page.uncheck("#id_properties-0-editable_on_edit")
    page.click("#save-configuration")
    assert "Configuration Shop CRM saved." in page.locator("main").inner_text()

    page.click("#test-connection")
    assert "The CRM answered and accepted the credentials." in page.locator("main").inner_text()

    page.goto("/configuration/crm-connector/")
    page.check("#id_enabled")
    page.select_option("#id_configuration", label="Shop CRM")
    page.click("#save-activation")
    assert "The CRM connector is on, with Shop CRM." in page.locator("main").inner_text()
    assert CrmConnectorActivation.objects.get().enabled
