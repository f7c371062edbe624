"""The configuration window's rules: each refused with a message naming what is wrong, nothing half-written."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from crmconnector.choices import PropertyType, UseAs
from crmconnector.models import CrmConnectorConfiguration, CrmConnectorProperty
from crmconnector.services import activation_update, configuration_save
from crmconnector.validation import regex_problem
from tests.crmconnector.conftest import GENERIC_OPTIONS, customer_properties, make_configuration

pytestmark = pytest.mark.django_db


def _messages(error: ValidationError) -> str:
    return " ".join(error.messages)


def _property_errors(**fields) -> dict:
    prop = CrmConnectorProperty(external_field=fields.pop("external_field", "x"), label="X", **fields)
    with pytest.raises(ValidationError) as caught:
        prop.clean()
    return caught.value.message_dict


def test_a_valid_configuration_is_saved_with_its_secret_encrypted(org_admin):
    configuration = make_configuration(org_admin, url="http://crm.example.test", secret="s3cret-key-value")
    stored = CrmConnectorConfiguration.objects.get(pk=configuration.pk)
    assert stored.properties.count() == len(customer_properties())
    assert "s3cret-key-value" not in stored.secret_encrypted
    assert stored.get_secret() == "s3cret-key-value"
    assert stored.organization_id == org_admin.organization_id


def test_saving_without_a_secret_keeps_the_stored_one(org_admin):
    configuration = make_configuration(org_admin, url="http://crm.example.test", secret="first-secret")
    configuration.timeout_seconds = 9
    configuration_save(actor=org_admin, configuration=configuration, properties=list(configuration.properties.all()))
    stored = CrmConnectorConfiguration.objects.get(pk=configuration.pk)
    assert stored.get_secret() == "first-secret" and stored.timeout_seconds == 9 and stored.revision == 2


@pytest.mark.parametrize("timeout", [0, 61])
def test_timeout_is_bounded(org_admin, timeout):
    with pytest.raises(ValidationError) as caught:
        make_configuration(org_admin, url="http://crm.example.test", timeout=timeout)
    assert "timeout_seconds" in caught.value.message_dict


def test_unknown_connector_and_bad_options_are_named(org_admin):
    with pytest.raises(ValidationError) as caught:
        make_configuration(org_admin, url="http://crm.example.test", connector="nope")
    assert "No connector 'nope'" in _messages(caught.value)
    bad = {**GENERIC_OPTIONS, "get_url": "http://elsewhere/{id}", "auth": "magic"}
    with pytest.raises(ValidationError) as caught:
        make_configuration(org_admin, url="http://crm.example.test", options=bad)
    text = " ".join(caught.value.message_dict["options"])
    assert "get_url: Give a path under the base URL" in text and "auth: Choose none, header or basic" in text


def test_exactly_one_reference_key(org_admin):
    properties = customer_properties()
    properties[0].is_reference = False
    with pytest.raises(ValidationError) as caught:
        make_configuration(org_admin, url="http://crm.example.test", properties=properties)
    assert "Exactly one property must be the reference key." in caught.value.message_dict["properties"]
    properties = customer_properties()
    properties[1].is_reference = True
    properties[1].editable_on_edit = False
    with pytest.raises(ValidationError) as caught:
        make_configuration(org_admin, url="http://crm.example.test", properties=properties)
    assert "now 2: Reference, First name" in _messages(caught.value)
    assert not CrmConnectorConfiguration.objects.exists()


def test_each_use_as_once(org_admin):
    properties = customer_properties()
    properties.append(CrmConnectorProperty(external_field="mail2", label="Other mail", use_as=UseAs.EMAIL))
    with pytest.raises(ValidationError) as caught:
        make_configuration(org_admin, url="http://crm.example.test", properties=properties)
    assert '"E-mail" is used by both E-mail and Other mail: once only.' in caught.value.message_dict["properties"]


def test_two_properties_cannot_read_the_same_field(org_admin):
    properties = customer_properties()
    properties.append(CrmConnectorProperty(external_field="email", label="Mail again"))
    with pytest.raises(ValidationError) as caught:
        make_configuration(org_admin, url="http://crm.example.test", properties=properties)
    assert "E-mail and Mail again both read email." in caught.value.message_dict["properties"]


def test_property_rules():
    assert "combo_options" in _property_errors(property_type=PropertyType.COMBO)
    assert _property_errors(combo_options=[{"value": "A", "label": "A", "order": 1, "default": False}])[
        "combo_options"
    ] == ["Only a combo has options."]
    two_defaults = [
        {"value": "A", "label": "A", "order": 1, "default": True},
        {"value": "A", "label": "B", "order": 2, "default": True},
    ]
    problems = _property_errors(property_type=PropertyType.COMBO, combo_options=two_defaults)["combo_options"]
    assert "Only one option can be the default." in problems and "Option 2: the value 'A' is there twice." in problems
    assert "searchable" in _property_errors(property_type=PropertyType.STATIC_TEXT, searchable=True)
    assert "mandatory_on_create" in _property_errors(mandatory_on_create=True, editable_on_create=False)
    assert "editable_on_edit" in _property_errors(show_in_edit=False)
    assert _property_errors(is_reference=True)["editable_on_edit"] == [
        "The reference key identifies the customer: it cannot be edited."
    ]
    assert _property_errors(use_as=UseAs.BIRTHDAY)["use_as"] == ["Birthday needs the type date."]
    assert "max_length" in _property_errors(property_type=PropertyType.DATE, max_length=5)
    assert "validation_regex" in _property_errors(property_type=PropertyType.BOOLEAN, validation_regex="x")
    assert "external_field" in _property_errors(external_field="a..b")
    assert "is_category_key" in _property_errors(property_type=PropertyType.DATE, is_category_key=True)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("[A-Z]{2}[0-9]{6}", None),
        (r"\+?[0-9 ]{6,20}", None),
        ("(a+)+$", "Nested repetition"),
        ("(\\w*)*", "Nested repetition"),
        ("(a|b", "Not a valid regular expression"),
        (r"(a)\1", "Back-references"),
        ("a{5000}", "Repetition counts above 1000"),
        ("a" * 201, "under 200 characters"),
        ("(a|a)*", "Alternatives inside a repetition"),
        ("(?:a|ab)+c", "Alternatives inside a repetition"),
        (r"\d*\d*\d*\d*x", "at most 3 open-ended repetitions"),
        (r"[^@ ]+@[^@ ]+\.[a-z]+", None),
        ("(VIP|GOLD)-[0-9]+", None),
    ],
)
def test_regular_expressions_are_compile_checked_and_bounded(pattern, expected):
    problem = regex_problem(pattern)
    assert (problem is None) if expected is None else (expected in problem)


def test_a_property_refused_reports_its_label(org_admin):
    properties = customer_properties()
    properties[4].validation_regex = "(a+)+"
    with pytest.raises(ValidationError) as caught:
        make_configuration(org_admin, url="http://crm.example.test", properties=properties)
    assert any(m.startswith("Phone: Nested repetition") for m in caught.value.message_dict["properties"])


def test_swapping_the_reference_between_two_properties_in_one_save(org_admin):
    configuration = make_configuration(org_admin, url="http://crm.example.test")
    props = {p.external_field: p for p in configuration.properties.all()}
    props["id"].is_reference = False
    props["id"].is_document_identifier = False
    props["last_name"].is_reference = True
    props["last_name"].editable_on_edit = False
    props["last_name"].is_document_identifier = True
    props["email"].use_as = ""
    props["phone"].use_as = UseAs.EMAIL
    props["phone"].property_type = PropertyType.TEXT
    configuration_save(actor=org_admin, configuration=configuration, properties=list(props.values()))
    assert configuration.properties.get(is_reference=True).external_field == "last_name"
    assert configuration.properties.get(use_as=UseAs.EMAIL).external_field == "phone"


def test_rules_and_tenancy_of_the_service(org_admin, rep, outsider):
    with pytest.raises(PermissionDenied):
        make_configuration(rep, url="http://crm.example.test")
    configuration = make_configuration(org_admin, url="http://crm.example.test")
    with pytest.raises(PermissionDenied):
        configuration_save(actor=outsider, configuration=configuration, properties=[])
    with pytest.raises(ValidationError) as caught:
        make_configuration(org_admin, url="http://crm.example.test")
    assert caught.value.message_dict["name"] == ["Another configuration has this name."]
    with pytest.raises(ValidationError):
        activation_update(actor=outsider, enabled=True, configuration=configuration)


def test_enable_switch_and_switching_configurations(org_admin):
    first = make_configuration(org_admin, url="http://crm.example.test", name="v1")
    second = make_configuration(org_admin, url="http://crm.example.test", name="v2")
    with pytest.raises(ValidationError) as caught:
        activation_update(actor=org_admin, enabled=True, configuration=None)
    assert caught.value.message_dict["configuration"] == ["Choose the configuration to use."]
    assert activation_update(actor=org_admin, enabled=True, configuration=first).configuration == first
    assert activation_update(actor=org_admin, enabled=True, configuration=second).configuration == second
    off = activation_update(actor=org_admin, enabled=False, configuration=second)
    assert not off.enabled


def test_a_value_checked_against_a_pattern_is_bounded_before_the_pattern_runs(org_admin):
    from crmconnector.connectors.base import CrmValidationError
    from crmconnector.customers import customer_values_clean
    from crmconnector.validation import MAX_CHECKED_VALUE

    properties = customer_properties()
    properties[1].validation_regex = r"[A-Za-z ]+"
    configuration = make_configuration(org_admin, url="http://crm.example.test", properties=properties)
    stored = list(configuration.properties.order_by("id"))
    first = next(p for p in stored if p.external_field == "first_name")
    with pytest.raises(CrmValidationError) as caught:
        customer_values_clean(
            properties=stored, values={"first_name": "a" * (MAX_CHECKED_VALUE + 1), "last_name": "Doe"}, creating=True
        )
    assert any(f"under {MAX_CHECKED_VALUE} characters" in m for m in caught.value.errors["first_name"])
    assert first.validation_regex == r"[A-Za-z ]+"


def test_the_admin_switch_cannot_enable_a_configuration_without_a_reference_key(org_admin):
    from crmconnector.models import CrmConnectorActivation

    configuration = CrmConnectorConfiguration.objects.create(
        organization=org_admin.organization, name="No key", connector="generic_rest", base_url="http://crm.example.test"
    )
    activation = CrmConnectorActivation(organization=org_admin.organization, enabled=True, configuration=configuration)
    with pytest.raises(ValidationError, match="no reference key"):
        activation.full_clean()
