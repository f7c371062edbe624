"""What the API schema promises, case by case: each class of fault the fuzz test found once."""

import pytest
from django.core.management import call_command

from tests.factories import AccountFactory, ContactFactory, OpportunityFactory
from tests.factories.api import error_attrs

pytestmark = pytest.mark.django_db
CRM_API = "/api/crm"


@pytest.fixture(scope="module")
def schema(django_db_setup, django_db_blocker, tmp_path_factory):
    import yaml

    out = tmp_path_factory.mktemp("schema") / "schema.yml"
    with django_db_blocker.unblock():
        call_command("spectacular", "--file", str(out))
    return yaml.safe_load(out.read_text())


def test_form_bodies_are_refused_with_a_documented_415(key_client, rep, schema):
    response = key_client(rep).post(
        f"{CRM_API}/accounts/", "name=Acme", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415 and response.json()["type"] == "client_error"
    operation = schema["paths"]["/api/crm/accounts/"]["post"]
    assert list(operation["requestBody"]["content"]) == ["application/json"]
    assert "415" in operation["responses"]


@pytest.mark.parametrize(
    ("query", "attr"), [({"page": 0}, "page"), ({"page_size": "null"}, "page_size"), ({"page_size": 501}, "page_size")]
)
def test_page_and_page_size_outside_the_schema_are_refused(key_client, rep, schema, query, attr):
    response = key_client(rep).get(f"{CRM_API}/accounts/", query)
    assert response.status_code == 400 and error_attrs(response) == {attr}
    parameters = {p["name"]: p["schema"] for p in schema["paths"]["/api/crm/accounts/"]["get"]["parameters"]}
    assert parameters["page"]["minimum"] == 1 and parameters["page_size"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 500,
    }


def test_an_owner_id_of_no_user_filters_to_nothing(key_client, rep):
    AccountFactory(owner=rep)
    for owner in (0, 2**70):
        response = key_client(rep).get(f"{CRM_API}/accounts/", {"owner": owner})
        assert response.status_code == 200 and response.json()["count"] == 0
    assert key_client(rep).get(f"{CRM_API}/accounts/", {"owner": "x"}).status_code == 400


def test_a_contact_without_email_answers_blank_and_the_schema_allows_it(key_client, rep, schema):
    contact = ContactFactory(owner=rep, email="")
    assert key_client(rep).get(f"{CRM_API}/contacts/{contact.pk}/").json()["email"] == ""
    email = schema["components"]["schemas"]["Contact"]["properties"]["email"]
    assert {"type": "string", "maxLength": 0} in email["oneOf"]


def test_delete_refused_by_dependants_is_a_documented_409(key_client, rep, schema):
    account = AccountFactory(owner=rep)
    OpportunityFactory(owner=rep, account=account)
    response = key_client(rep).delete(f"{CRM_API}/accounts/{account.pk}/")
    assert response.status_code == 409 and response.json()["type"] == "client_error"
    assert "409" in schema["paths"]["/api/crm/accounts/{id}/"]["delete"]["responses"]


def test_service_validation_errors_fit_the_documented_400(key_client, rep, schema):
    response = key_client(rep).post(f"{CRM_API}/contacts/", {"last_name": "Doe", "emails": ["ok@example.com", "bad"]})
    assert response.status_code == 400 and error_attrs(response) == {"emails.1"}
    body = schema["paths"]["/api/crm/contacts/"]["post"]["responses"]["400"]["content"]["application/json"]["schema"]
    assert schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]["discriminator"]["mapping"] == {
        "validation_error": "#/components/schemas/ValidationErrorResponse",
        "client_error": "#/components/schemas/ParseErrorResponse",
    }


@pytest.mark.parametrize(
    ("path", "body", "attr"),
    [
        ("/accounts/", {"name": 0}, "name"),
        ("/accounts/", {"name": "Acme", "description": True}, "description"),
        ("/opportunities/", {"name": "Deal", "budget_amount": 10}, "budget_amount"),
        ("/opportunities/", {"name": "Deal", "probability": 12.5}, "probability"),
    ],
)
def test_a_number_where_the_schema_says_string_is_refused(key_client, rep, schema, path, body, attr):
    response = key_client(rep).post(f"{CRM_API}{path}", body)
    assert response.status_code == 400 and attr in error_attrs(response)
    request_body = schema["paths"][f"{CRM_API}{path}"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    component = schema["components"]["schemas"][request_body["$ref"].rsplit("/", 1)[1]]
    assert component["properties"][attr]["type"] == "string"


def test_convert_and_status_probabilities_take_strings_only(key_client, manager, rep, schema):
    from tests.factories import LeadFactory

    lead = LeadFactory(owner=rep)
    response = key_client(rep).post(f"{CRM_API}/leads/{lead.pk}/convert/", {"opportunity_name": 0})
    assert response.status_code == 400 and error_attrs(response) == {"opportunity_name"}
    body = {"probabilities": [{"status": "in_progress", "probability": 0}]}
    response = key_client(manager).put(f"{CRM_API}/status-probabilities/", body)
    assert response.status_code == 400 and error_attrs(response) == {"probabilities.0.probability"}
    body = {"probabilities": [{"status": "in_progress", "probability": "12.50"}]}
    assert key_client(manager).put(f"{CRM_API}/status-probabilities/", body).status_code == 200


def test_every_writable_text_and_decimal_field_of_the_crm_api_is_strict():
    """The class of fault, not its two instances: no CRM serializer takes a number for text or a decimal."""
    from phonenumber_field.serializerfields import PhoneNumberField
    from rest_framework import serializers as drf

    from accounts.api import serializers
    from accounts.api.serializers.fields import StrictCharField, StrictDecimalField

    def walk(serializer):
        for name, field in serializer.fields.items():
            if field.read_only:
                continue
            child = getattr(field, "child", None)
            for one in (field, child):
                if isinstance(one, drf.Serializer):
                    yield from walk(one)
                elif one is not None:
                    yield name, one

    STRICT = (StrictCharField, StrictDecimalField, drf.EmailField, drf.URLField, PhoneNumberField)
    output_only = {"RecordReferenceSerializer"}  # the shape of a reference in answers, never read
    loose = []
    for name in sorted(set(serializers.__all__) - output_only):
        cls = getattr(serializers, name)
        concrete = not issubclass(cls, drf.ModelSerializer) or hasattr(cls, "Meta") if isinstance(cls, type) else False
        if concrete and issubclass(cls, drf.Serializer) and cls.__module__.startswith("accounts.api"):
            for field_name, field in walk(cls()):
                if isinstance(field, drf.CharField | drf.DecimalField) and not isinstance(field, STRICT):
                    loose.append(f"{name}.{field_name}")
    assert loose == []


def test_lists_document_the_cursor_its_404_and_the_estimated_count(schema):
    operation = schema["paths"]["/api/crm/opportunities/"]["get"]
    parameters = {p["name"]: p["schema"] for p in operation["parameters"]}
    assert parameters["cursor"] == {"type": "string", "maxLength": 2000}
    assert "404" in operation["responses"]
    page = operation["responses"]["200"]["content"]["application/json"]["schema"]
    body = schema["components"]["schemas"][page["$ref"].rsplit("/", 1)[1]]
    assert set(body["required"]) == {"count", "count_is_estimate", "next", "previous", "results"}
    assert body["properties"]["next"]["nullable"] is True
