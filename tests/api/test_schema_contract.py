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
