"""Who may do what through every CRM endpoint.

Reps read every record of their organization and write only their own (403 otherwise); managers and
organization admins write all of it; a user of another organization gets 404 on a record and never sees
one in a list; anonymous callers get 401.
"""

from dataclasses import dataclass

import pytest
from rest_framework.test import APIClient

from accounts.models import Account, BusinessCustomer, CalendarEvent, Contact, Lead, Note, Opportunity, Task
from backoffice.choices import Role
from tests.factories import (
    AccountFactory,
    BusinessCustomerFactory,
    CalendarEventFactory,
    ContactFactory,
    LeadFactory,
    NoteFactory,
    OpportunityFactory,
    TaskFactory,
    UserFactory,
)
from tests.factories.api import CRM_API, error_attrs, ids

pytestmark = pytest.mark.django_db


@dataclass
class World:
    owner: object
    other_rep: object
    manager: object
    org_admin: object
    outsider: object
    account: Account
    contact: Contact


@pytest.fixture
def world(rep, manager, org_admin, outsider, organization):
    return World(
        owner=rep,
        other_rep=UserFactory(username="rep2", organization=organization, role=Role.REP),
        manager=manager,
        org_admin=org_admin,
        outsider=outsider,
        account=AccountFactory(owner=manager, name="Shared account"),
        contact=ContactFactory(owner=manager),
    )


@dataclass(frozen=True)
class Resource:
    path: str
    model: type
    make: object  # (world) -> a row owned by the owner rep
    change: dict  # a PATCH body
    create: object  # (world) -> a POST body naming rows of the organization
    foreign_field: str | None  # the field an outsider's POST of that body is refused on


RESOURCES = [
    Resource(
        "accounts",
        Account,
        lambda w: AccountFactory(owner=w.owner),
        {"name": "Renamed"},
        lambda w: {"name": "New", "contacts": [w.contact.pk]},
        "contacts",
    ),
    Resource(
        "contacts",
        Contact,
        lambda w: ContactFactory(owner=w.owner),
        {"job_title": "Boss"},
        lambda w: {"last_name": "New", "emails": ["new@example.com"]},
        None,
    ),
    Resource(
        "business-customers",
        BusinessCustomer,
        lambda w: BusinessCustomerFactory(owner=w.owner),
        {"name": "Renamed"},
        lambda w: {"name": "New", "account": w.account.pk},
        "account",
    ),
    Resource(
        "leads",
        Lead,
        lambda w: LeadFactory(owner=w.owner),
        {"name": "Renamed"},
        lambda w: {"name": "New", "account": w.account.pk},
        "account",
    ),
    Resource(
        "opportunities",
        Opportunity,
        lambda w: OpportunityFactory(owner=w.owner),
        {"name": "Renamed"},
        lambda w: {"name": "New", "account": w.account.pk},
        "account",
    ),
    Resource(
        "tasks",
        Task,
        lambda w: TaskFactory(owner=w.owner),
        {"subject": "Renamed"},
        lambda w: {"subject": "New", "related_type": "accounts.account", "related_id": w.account.pk},
        "related_id",
    ),
    Resource(
        "events",
        CalendarEvent,
        lambda w: CalendarEventFactory(owner=w.owner),
        {"title": "Renamed"},
        lambda w: {"title": "New", "start": "2030-01-01T10:00:00Z", "attendees": [w.contact.pk]},
        "attendees",
    ),
    Resource(
        "notes",
        Note,
        lambda w: NoteFactory(owner=w.owner),
        {"text": "Renamed"},
        lambda w: {"text": "New", "related_type": "accounts.contact", "related_id": w.contact.pk},
        "related_id",
    ),
]
RESOURCE_IDS = [r.path for r in RESOURCES]
ROLES = ["owner", "other_rep", "manager", "org_admin", "outsider"]
# Expected status of a change (PATCH, PUT, DELETE, actions) per role.
MAY_WRITE = {"owner": True, "other_rep": False, "manager": True, "org_admin": True, "outsider": None}


def client_for(key_client, world: World, role: str) -> APIClient:
    return key_client(getattr(world, role))


@pytest.mark.parametrize("resource", RESOURCES, ids=RESOURCE_IDS)
@pytest.mark.parametrize("role", ROLES)
def test_read(key_client, world, resource, role):
    row = resource.make(world)
    api = client_for(key_client, world, role)
    listed = api.get(f"{CRM_API}/{resource.path}/", {"page_size": 500})
    detail = api.get(f"{CRM_API}/{resource.path}/{row.pk}/")
    assert listed.status_code == 200
    if role == "outsider":
        assert row.pk not in ids(listed)
        assert listed.json()["count"] == 0
        assert detail.status_code == 404
    else:
        assert row.pk in ids(listed)
        assert detail.status_code == 200 and detail.json()["id"] == row.pk


@pytest.mark.parametrize("resource", RESOURCES, ids=RESOURCE_IDS)
@pytest.mark.parametrize("role", ROLES)
def test_change_and_delete(key_client, world, resource, role):
    row = resource.make(world)
    api = client_for(key_client, world, role)
    url = f"{CRM_API}/{resource.path}/{row.pk}/"
    expected = {True: 200, False: 403, None: 404}[MAY_WRITE[role]]
    version = row.version

    patched = api.patch(url, resource.change)
    assert patched.status_code == expected
    field, value = next(iter(resource.change.items()))
    row.refresh_from_db()
    assert (getattr(row, field) == value) is (expected == 200)

    full = {**api.get(url).json(), **resource.change} if expected == 200 else resource.create(world)
    put = api.put(url, {k: v for k, v in full.items() if v is not None})
    assert put.status_code == expected
    if expected != 200:
        row.refresh_from_db()
        assert row.version == version  # untouched

    deleted = api.delete(url)
    assert deleted.status_code == {200: 204}.get(expected, expected)
    assert resource.model.objects.filter(pk=row.pk).exists() is (expected != 200)
    if expected == 403:
        assert deleted.json()["errors"][0]["code"] == "permission_denied"


@pytest.mark.parametrize("resource", RESOURCES, ids=RESOURCE_IDS)
@pytest.mark.parametrize("role", ROLES)
def test_create(key_client, world, resource, role):
    user = getattr(world, role)
    api = client_for(key_client, world, role)
    before = resource.model.objects.filter(organization=world.owner.organization).count()
    response = api.post(f"{CRM_API}/{resource.path}/", resource.create(world))
    if role == "outsider" and resource.foreign_field:
        # Another organization's ids are unknown: refused, naming the field, nothing written.
        assert response.status_code == 400 and error_attrs(response) == {resource.foreign_field}
        assert not resource.model.objects.filter(organization=user.organization).exists()
    else:
        assert response.status_code == 201, response.json()
        created = resource.model.objects.get(pk=response.json()["id"])
        assert created.owner == user and created.organization == user.organization
    if role == "outsider":
        assert resource.model.objects.filter(organization=world.owner.organization).count() == before


@pytest.mark.parametrize("resource", RESOURCES, ids=RESOURCE_IDS)
@pytest.mark.parametrize(("role", "status"), [("owner", 403), ("other_rep", 403), ("manager", 201), ("org_admin", 201)])
def test_assigning_another_owner(key_client, world, resource, role, status):
    """Reps create records for themselves only; managers and admins assign anyone of the organization."""
    actor = getattr(world, role)
    assignee = world.owner if actor == world.other_rep else world.other_rep
    before = resource.model.objects.count()
    response = client_for(key_client, world, role).post(
        f"{CRM_API}/{resource.path}/", {**resource.create(world), "owner": assignee.pk}
    )
    assert response.status_code == status
    if status == 201:
        assert resource.model.objects.get(pk=response.json()["id"]).owner == assignee
    else:
        assert resource.model.objects.count() == before


@pytest.mark.parametrize("resource", RESOURCES, ids=RESOURCE_IDS)
def test_owner_of_another_organization_is_refused(key_client, world, resource):
    response = key_client(world.manager).post(
        f"{CRM_API}/{resource.path}/", {**resource.create(world), "owner": world.outsider.pk}
    )
    assert response.status_code == 400 and error_attrs(response) == {"owner"}


@pytest.mark.parametrize("role", ROLES)
def test_lead_convert(key_client, world, role):
    lead = LeadFactory(owner=world.owner, company_name="Convertible Inc")
    response = client_for(key_client, world, role).post(f"{CRM_API}/leads/{lead.pk}/convert/", {})
    expected = {True: 201, False: 403, None: 404}[MAY_WRITE[role]]
    assert response.status_code == expected
    assert Opportunity.objects.filter(lead=lead).exists() is (expected == 201)


@pytest.mark.parametrize("role", ROLES)
def test_opportunity_status(key_client, world, role):
    opportunity = OpportunityFactory(owner=world.owner)
    url = f"{CRM_API}/opportunities/{opportunity.pk}/status/"
    response = client_for(key_client, world, role).post(url, {"status": "negotiation"})
    expected = {True: 200, False: 403, None: 404}[MAY_WRITE[role]]
    assert response.status_code == expected
    opportunity.refresh_from_db()
    assert (opportunity.status == "negotiation") is (expected == 200)


@pytest.mark.parametrize("role", ROLES)
def test_channels(key_client, world, role):
    channel = BusinessCustomerFactory(owner=world.owner).channel
    api = client_for(key_client, world, role)
    listed = api.get(f"{CRM_API}/channels/")
    detail = api.get(f"{CRM_API}/channels/{channel.pk}/")
    if role == "outsider":
        assert ids(listed) == [] and detail.status_code == 404
    else:
        assert ids(listed) == [channel.pk] and detail.status_code == 200


@pytest.mark.parametrize(
    ("role", "status"), [("owner", 403), ("other_rep", 403), ("manager", 200), ("org_admin", 200), ("outsider", 200)]
)
def test_status_probabilities(key_client, world, role, status):
    api = client_for(key_client, world, role)
    assert api.get(f"{CRM_API}/status-probabilities/").status_code == 200
    body = {"probabilities": [{"status": "negotiation", "probability": "70"}]}
    assert api.put(f"{CRM_API}/status-probabilities/", body).status_code == status
    # Whatever the outsider does stays in their organization.
    shown = key_client(world.owner).get(f"{CRM_API}/status-probabilities/").json()["probabilities"]
    value = {row["status"]: row["probability"] for row in shown}["negotiation"]
    assert value == ("70.00" if role in ("manager", "org_admin") else "80.00")


def _anonymous_requests(world):
    account = AccountFactory(owner=world.owner)
    lead = LeadFactory(owner=world.owner)
    opportunity = OpportunityFactory(owner=world.owner)
    requests = [("get", f"{CRM_API}/status-probabilities/"), ("put", f"{CRM_API}/status-probabilities/")]
    requests += [("post", f"{CRM_API}/leads/{lead.pk}/convert/")]
    requests += [("post", f"{CRM_API}/opportunities/{opportunity.pk}/status/")]
    requests += [("get", f"{CRM_API}/channels/")]
    for resource in RESOURCES:
        requests += [("get", f"{CRM_API}/{resource.path}/"), ("post", f"{CRM_API}/{resource.path}/")]
    for method in ("get", "put", "patch", "delete"):
        requests.append((method, f"{CRM_API}/accounts/{account.pk}/"))
    return requests


def test_anonymous_callers_get_401_everywhere(world):
    api = APIClient()
    for method, url in _anonymous_requests(world):
        response = getattr(api, method)(url, {})
        assert response.status_code == 401, (method, url)
        assert response.json()["type"] == "client_error"
    for resource in RESOURCES:
        row = resource.make(world)
        url = f"{CRM_API}/{resource.path}/{row.pk}/"
        assert [getattr(api, m)(url).status_code for m in ("get", "patch", "delete")] == [401, 401, 401]
        assert resource.model.objects.filter(pk=row.pk).exists()


def test_a_wrong_api_key_is_401(world):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Basic cmVwMTpub3Qta2V5")  # rep1:not-key
    assert api.get(f"{CRM_API}/accounts/").status_code == 401
