"""The CRM Connector Configuration window and its admin screens, as an organization admin uses them."""

import json

import pytest
from django.urls import reverse

from crmconnector.models import CrmConnectorActivation, CrmConnectorConfiguration
from tests.crmconnector.conftest import GENERIC_OPTIONS, make_configuration

pytestmark = pytest.mark.django_db
LIST = "/configuration/crm-connector/"
NEW = "/configuration/crm-connector/new/"

FLAGS = {
    "show_in_list": True,
    "show_in_detail": True,
    "show_in_create": True,
    "show_in_edit": True,
    "editable_on_create": True,
    "editable_on_edit": True,
}


def _property(index: int, **fields) -> dict:
    values = {
        "external_field": "",
        "label": "",
        "property_type": "text",
        "use_as": "",
        "combo_options": "",
        "validation_regex": "",
        "max_length": "",
        "list_position": "0",
        "list_column_span": "1",
        "detail_position": "0",
        "detail_column_span": "6",
        **FLAGS,
        **fields,
    }
    data = {}
    for key, value in values.items():
        if value is True:
            data[f"properties-{index}-{key}"] = "on"
        elif value is not False:
            data[f"properties-{index}-{key}"] = value
    return data


def _post_data(*properties: dict, initial: int = 0, **fields) -> dict:
    data = {
        "name": "Store CRM",
        "connector": "generic_rest",
        "base_url": "http://crm.example.test",
        "username": "",
        "secret": "key-typed-once",
        "timeout_seconds": "5",
        "options": json.dumps(GENERIC_OPTIONS),
        "properties-TOTAL_FORMS": str(len(properties)),
        "properties-INITIAL_FORMS": str(initial),
        "properties-MIN_NUM_FORMS": "0",
        "properties-MAX_NUM_FORMS": "100",
        **fields,
    }
    for prop in properties:
        data.update(prop)
    return data


def _valid_properties() -> list[dict]:
    return [
        _property(0, external_field="id", label="Reference", is_reference=True, editable_on_edit=False),
        _property(1, external_field="email", label="E-mail", property_type="email", use_as="email", searchable=True),
        _property(
            2,
            external_field="category",
            label="Category",
            property_type="combo",
            combo_options="STD | Standard | default\nVIP | Very important",
            is_category_key=True,
        ),
    ]


def test_only_organization_admins_open_the_window_and_see_its_menu_entry(client, org_admin, rep):
    client.force_login(rep)
    assert client.get(LIST).status_code == 403
    assert "CRM connector" not in client.get("/").content.decode()
    client.force_login(org_admin)
    page = client.get(LIST)
    assert page.status_code == 200 and "CRM Connector Configuration" in page.content.decode()
    assert f'href="{LIST}"' in client.get("/").content.decode()


def test_create_a_configuration_with_its_properties(client, org_admin):
    client.force_login(org_admin)
    response = client.post(NEW, _post_data(*_valid_properties()))
    assert response.status_code == 302
    configuration = CrmConnectorConfiguration.objects.get(name="Store CRM")
    assert configuration.organization_id == org_admin.organization_id
    assert configuration.get_secret() == "key-typed-once"
    category = configuration.properties.get(external_field="category")
    assert category.combo_options == [
        {"value": "STD", "label": "Standard", "order": 1, "default": True},
        {"value": "VIP", "label": "Very important", "order": 2, "default": False},
    ]
    page = client.get(response["Location"]).content.decode()
    assert "key-typed-once" not in page and "A secret is stored (encrypted)." in page
    assert "STD | Standard | default" in page


def test_errors_are_shown_next_to_their_fields_and_nothing_is_saved(client, org_admin):
    client.force_login(org_admin)
    properties = _valid_properties()
    properties[1]["properties-1-validation_regex"] = "(a+)+"
    properties[2]["properties-2-combo_options"] = "A | One | default\nA | Two | default"
    response = client.post(NEW, _post_data(*properties, timeout_seconds="90", options='{"get_url": 1'))
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_properties-1-validation_regex_error"' in page and "Nested repetition" in page
    assert "Only one option can be the default." in page
    assert 'id="id_timeout_seconds_error"' in page
    assert "Write the options as a JSON object" in page
    assert not CrmConnectorConfiguration.objects.exists()


def test_rules_across_properties_are_listed_above_the_properties(client, org_admin):
    client.force_login(org_admin)
    properties = _valid_properties()
    properties[0]["properties-0-is_reference"] = ""
    del properties[0]["properties-0-is_reference"]
    properties.append(_property(3, external_field="mail2", label="Mail 2", property_type="email", use_as="email"))
    response = client.post(NEW, _post_data(*properties))
    page = response.content.decode()
    assert response.status_code == 400
    assert "Exactly one property must be the reference key." in page
    assert "is used by both E-mail and Mail 2: once only." in page
    assert not CrmConnectorConfiguration.objects.exists()


def test_editing_keeps_the_secret_and_removes_properties(client, org_admin):
    configuration = make_configuration(org_admin, url="http://crm.example.test", secret="stored-secret")
    client.force_login(org_admin)
    edit = reverse("crmconnector:configuration-edit", args=[configuration.pk])
    form = client.get(edit).context["formset"]
    data = _post_data(initial=len(form.forms) - 1, secret="", name="Renamed")
    data["properties-TOTAL_FORMS"] = str(len(form.forms))
    for index, prop_form in enumerate(form.forms):
        for name, field in prop_form.fields.items():
            value = prop_form[name].value()
            if name == "combo_options":
                value = field.prepare_value(value)
            if value is None or value is False:
                continue
            data[f"properties-{index}-{name}"] = "on" if value is True else value
    birthday_index = next(i for i, f in enumerate(form.forms) if f.instance.external_field == "birthday")
    data[f"properties-{birthday_index}-DELETE"] = "on"
    response = client.post(edit, data)
    assert response.status_code == 302, [e for e in response.context["formset"].errors if e]
    configuration.refresh_from_db()
    assert configuration.name == "Renamed" and configuration.get_secret() == "stored-secret"
    assert not configuration.properties.filter(external_field="birthday").exists()
    assert configuration.properties.count() == 6


def test_test_connection_button(client, org_admin, rest_crm):
    configuration = make_configuration(org_admin, url=rest_crm.url, secret="test-crm-key")
    client.force_login(org_admin)
    test = reverse("crmconnector:configuration-test", args=[configuration.pk])
    page = client.post(test, follow=True).content.decode()
    assert "The CRM answered and accepted the credentials." in page
    rest_crm.state.fail_status = 503
    page = client.post(test, follow=True).content.decode()
    assert "The connection failed: The CRM failed (HTTP 503)." in page


def test_the_enable_switch(client, org_admin):
    configuration = make_configuration(org_admin, url="http://crm.example.test")
    client.force_login(org_admin)
    activation = reverse("crmconnector:activation")
    response = client.post(activation, {"enabled": "on"})
    assert response.status_code == 400 and "Choose the configuration to use." in response.content.decode()
    client.post(activation, {"enabled": "on", "configuration": configuration.pk})
    assert CrmConnectorActivation.objects.get(organization=org_admin.organization).enabled
    page = client.get(LIST).content.decode()
    assert "In use</span>" in page
    delete = reverse("crmconnector:configuration-delete", args=[configuration.pk])
    assert "is the one in use" in client.post(delete, follow=True).content.decode()
    client.post(activation, {"configuration": configuration.pk})
    assert not CrmConnectorActivation.objects.get(organization=org_admin.organization).enabled
    client.post(delete)
    assert not CrmConnectorConfiguration.objects.exists()


def test_the_organizations_configuration_page_switches_the_connector(client, org_admin):
    configuration = make_configuration(org_admin, url="http://crm.example.test")
    client.force_login(org_admin)
    page = client.get(reverse("configuration")).content.decode()
    assert 'id="section-crm_connector"' in page and "CRM connector enabled" in page
    assert f'<option value="{configuration.pk}">{configuration.name}</option>' in page
    assert "Save crm connector settings" not in page  # the section has no settings of its own
    response = client.post(
        reverse("crmconnector:activation"),
        {"enabled": "on", "configuration": configuration.pk, "next": reverse("configuration")},
    )
    assert response.status_code == 302 and response.url == reverse("configuration")
    assert CrmConnectorActivation.objects.get(organization=org_admin.organization).enabled
    page = client.get(reverse("configuration")).content.decode()
    assert f'<option value="{configuration.pk}" selected>{configuration.name}</option>' in page
    response = client.post(
        reverse("crmconnector:activation"), {"configuration": configuration.pk, "next": "https://elsewhere.test/"}
    )
    assert response.url == LIST  # never back to another site
    assert not CrmConnectorActivation.objects.get(organization=org_admin.organization).enabled


def test_another_organizations_configurations_are_out_of_reach(client, org_admin, outsider):
    configuration = make_configuration(org_admin, url="http://crm.example.test")
    client.force_login(outsider)
    assert client.get(reverse("crmconnector:configuration-edit", args=[configuration.pk])).status_code == 404
    assert client.post(reverse("crmconnector:configuration-test", args=[configuration.pk])).status_code == 404
    assert client.post(reverse("crmconnector:configuration-delete", args=[configuration.pk])).status_code == 404
    assert CrmConnectorConfiguration.objects.filter(pk=configuration.pk).exists()
    response = client.post(reverse("crmconnector:activation"), {"enabled": "on", "configuration": configuration.pk})
    assert response.status_code == 400
    assert "Store CRM" not in client.get(LIST).content.decode()


@pytest.mark.parametrize("count", [2, 30])
def test_the_list_searches_sorts_pages_with_a_constant_number_of_queries(
    client, org_admin, count, django_assert_max_num_queries
):
    for number in range(count):
        make_configuration(org_admin, url="http://crm.example.test", name=f"CRM {number:02d}")
    client.force_login(org_admin)
    with django_assert_max_num_queries(9):
        page = client.get(LIST + "?sort=-name").content.decode()
    table = page[page.index('id="configuration-list"') :]
    assert f"CRM {count - 1:02d}</a>" in table
    assert ("CRM 00</a>" in table) == (count <= 25)
    searched = client.get(LIST + "?q=CRM 01").content.decode()
    table = searched[searched.index('id="configuration-list"') :]
    assert table.count("data-configuration=") == 1 and "CRM 01</a>" in table


def test_the_admin_saves_configurations_with_the_same_rules(client, org_admin):
    org_admin.is_staff = True
    org_admin.save()
    client.force_login(org_admin)
    url = reverse("admin:crmconnector_crmconnectorconfiguration_add")
    assert client.get(url).status_code == 200
    data = _post_data(*_valid_properties())
    data = {key.replace("properties-", "properties-", 1): value for key, value in data.items()}
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    configuration = CrmConnectorConfiguration.objects.get()
    assert configuration.get_secret() == "key-typed-once" and configuration.properties.count() == 3
    properties = _valid_properties()
    properties[0]["properties-0-is_reference"] = ""
    del properties[0]["properties-0-is_reference"]
    data = _post_data(*properties, name="Second")
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Exactly one property must be the reference key." in response.content.decode()
    assert CrmConnectorConfiguration.objects.count() == 1
