import pytest

from crmconnector.choices import PropertyType, UseAs
from crmconnector.models import CrmConnectorConfiguration, CrmConnectorProperty
from crmconnector.services import configuration_save
from tests.crmconnector.remote import remote  # noqa: F401  (a second installation, one per test module)
from tests.crmconnector.rest_server import RestCrmServer

GENERIC_OPTIONS = {
    "search_url": "/customers",
    "get_url": "/customers/{reference}",
    "create_url": "/customers",
    "update_url": "/customers/{reference}",
    "results_path": "results",
    "total_path": "count",
    "health_url": "/health",
    "auth": "header",
    "auth_header": "X-Api-Key",
}


def customer_properties() -> list[CrmConnectorProperty]:
    """A typical configuration: reference, names, e-mail, phone, birthday and a category combo."""
    return [
        CrmConnectorProperty(
            external_field="id",
            label="Reference",
            is_reference=True,
            editable_on_create=False,
            editable_on_edit=False,
            show_in_create=False,
            show_in_edit=False,
            is_document_identifier=True,
        ),
        CrmConnectorProperty(external_field="first_name", label="First name", use_as=UseAs.FIRST_NAME, searchable=True),
        CrmConnectorProperty(
            external_field="last_name",
            label="Last name",
            use_as=UseAs.LAST_NAME,
            searchable=True,
            mandatory_on_create=True,
            max_length=50,
        ),
        CrmConnectorProperty(
            external_field="email",
            label="E-mail",
            property_type=PropertyType.EMAIL,
            use_as=UseAs.EMAIL,
            searchable=True,
        ),
        CrmConnectorProperty(
            external_field="phone",
            label="Phone",
            property_type=PropertyType.PHONE,
            use_as=UseAs.PHONE,
            searchable=True,
            validation_regex=r"\+?[0-9 ]{6,20}",
        ),
        CrmConnectorProperty(
            external_field="birthday", label="Birthday", property_type=PropertyType.DATE, use_as=UseAs.BIRTHDAY
        ),
        CrmConnectorProperty(
            external_field="category",
            label="Category",
            property_type=PropertyType.COMBO,
            is_category_key=True,
            combo_options=[
                {"value": "STD", "label": "Standard", "order": 1, "default": True},
                {"value": "VIP", "label": "VIP", "order": 2, "default": False},
            ],
        ),
    ]


def make_configuration(
    actor,
    *,
    url: str,
    connector: str = "generic_rest",
    options=None,
    secret="",
    timeout=2,
    name="Test CRM",
    username="",
    properties=None,
) -> CrmConnectorConfiguration:
    configuration = CrmConnectorConfiguration(
        name=name,
        connector=connector,
        base_url=url,
        timeout_seconds=timeout,
        username=username,
        options=GENERIC_OPTIONS if options is None else options,
    )
    return configuration_save(
        actor=actor,
        configuration=configuration,
        properties=customer_properties() if properties is None else properties,
        secret=secret,
    )


@pytest.fixture
def rest_crm():
    with RestCrmServer() as server:
        server.state.api_key = "test-crm-key"
        yield server


@pytest.fixture
def rest_configuration(org_admin, rest_crm):
    return make_configuration(org_admin, url=rest_crm.url, secret="test-crm-key")
