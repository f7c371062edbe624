"""The MS Outlook settings: the seed's table with "Use Default" boxes, per-field directions and key fields,
validated with messages that name the field; the Graph client secret encrypted at rest and never shown."""

import pytest
from django.core.exceptions import ValidationError

from backoffice.models import OrganizationSetting
from backoffice.org_settings import USE_DEFAULT, settings_update
from outlooksync.engine.records import Entity
from outlooksync.engine.settings import ConflictWinner, Direction, FieldDirection
from outlooksync.settings_section import SECTION, engine_settings, outlook_settings

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    """Django's test client (this package's conftest names its Graph client `client` too)."""
    from django.test import Client

    return Client()


def test_defaults_are_the_seeds_table(org_admin):
    values = outlook_settings(organization_id=org_admin.organization_id)
    assert values["sync_direction"] == "bidirectional"
    assert values["conflict_resolution"] == "crm"
    assert (values["crm_sync_interval"], values["outlook_sync_interval"]) == (120, 30)
    assert values["sync_contacts"] and values["sync_tasks"] and values["sync_events"]
    assert values["contact_key_fields"] == ["first_name", "last_name", "gender", "birthday"]
    assert values["event_key_fields"] == ["title", "start", "end", "all_day"]
    assert values["task_key_fields"] == ["subject", "due_at"]
    engine = engine_settings(values)
    assert engine.direction is Direction.BIDIRECTIONAL and engine.conflict is ConflictWinner.CRM


@pytest.mark.parametrize("value", [0, 86400, -5])
@pytest.mark.parametrize("key, label", [("crm_sync_interval", "CRM Sync"), ("outlook_sync_interval", "Outlook Sync")])
def test_an_interval_out_of_range_is_refused_naming_the_field(org_admin, key, label, value):
    with pytest.raises(ValidationError) as refused:
        settings_update(actor=org_admin, section=SECTION, values={key: value})
    assert key in refused.value.message_dict
    assert label in refused.value.message_dict[key][0] and "1 to 86399" in refused.value.message_dict[key][0]


@pytest.mark.parametrize("value", [1, 86399])
def test_the_interval_bounds_themselves_are_accepted(org_admin, value):
    saved = settings_update(actor=org_admin, section=SECTION, values={"outlook_sync_interval": value})
    assert saved["outlook_sync_interval"] == value


def test_a_key_field_cannot_be_left_unsynced(org_admin):
    directions = {"first_name": "not_synced"}
    with pytest.raises(ValidationError) as refused:
        settings_update(actor=org_admin, section=SECTION, values={"contact_fields": directions})
    assert "first_name is a key field" in " ".join(refused.value.message_dict["contact_fields"])
    # Once it is no longer a key field, it may be left out of the sync.
    settings_update(
        actor=org_admin,
        section=SECTION,
        values={"contact_key_fields": ["last_name", "birthday"], "contact_fields": directions},
    )
    engine = engine_settings(outlook_settings(organization_id=org_admin.organization_id))
    assert engine.field_direction(Entity.CONTACT, "first_name") is FieldDirection.NOT_SYNCED
    assert engine.field_direction(Entity.CONTACT, "job_title") is FieldDirection.BOTH


def test_no_key_field_is_refused(org_admin):
    with pytest.raises(ValidationError) as refused:
        settings_update(actor=org_admin, section=SECTION, values={"task_key_fields": []})
    assert "task_key_fields" in refused.value.message_dict


def test_a_field_direction_narrows_the_sync_direction(org_admin):
    settings_update(
        actor=org_admin,
        section=SECTION,
        values={"sync_direction": "crm_to_outlook", "contact_fields": {"job_title": "to_crm"}},
    )
    engine = engine_settings(outlook_settings(organization_id=org_admin.organization_id))
    assert engine.field_direction(Entity.CONTACT, "job_title") is FieldDirection.NOT_SYNCED
    assert engine.field_direction(Entity.CONTACT, "last_name") is FieldDirection.TO_OUTLOOK


def test_use_default_applies_the_default_whatever_was_stored(org_admin):
    settings_update(actor=org_admin, section=SECTION, values={"crm_sync_interval": 600})
    assert outlook_settings(organization_id=org_admin.organization_id)["crm_sync_interval"] == 600
    settings_update(actor=org_admin, section=SECTION, values={"crm_sync_interval": USE_DEFAULT})
    assert outlook_settings(organization_id=org_admin.organization_id)["crm_sync_interval"] == 120


def test_the_client_secret_is_encrypted_at_rest_and_never_shown(org_admin, key_client):
    settings_update(actor=org_admin, section=SECTION, values={"graph_client_secret": "s3cret-value"})
    stored = OrganizationSetting.objects.get(organization_id=org_admin.organization_id, key="graph_client_secret")
    assert "s3cret-value" not in str(stored.value)
    assert outlook_settings(organization_id=org_admin.organization_id)["graph_client_secret"] == "s3cret-value"
    body = key_client(org_admin).get(f"/api/settings/{SECTION}/").json()
    assert body["settings"]["graph_client_secret"]["value"] is None
    assert "s3cret-value" not in str(body)


def test_configuration_page_shows_the_mapping_and_saves_it(org_admin, session_client):
    client = session_client(org_admin)
    page = client.get("/configuration/").content.decode()
    assert "MS Outlook" in page and "Job title" in page and "To the CRM only" in page
    response = client.post(
        f"/configuration/{SECTION}/",
        {
            f"{SECTION}-sync_direction__use_default": "on",
            f"{SECTION}-conflict_resolution": "outlook",
            f"{SECTION}-crm_sync_interval": "0",
            f"{SECTION}-crm_sync_interval__use_default": "on",
            f"{SECTION}-outlook_sync_interval": "86400",
        },
    )
    assert response.status_code == 400
    assert "Outlook Sync Interval must be a whole number of seconds from 1 to 86399" in response.content.decode()
    form = {
        f"{SECTION}-conflict_resolution": "outlook",
        f"{SECTION}-outlook_sync_interval": "45",
        f"{SECTION}-contact_fields__job_title": "to_outlook",
        f"{SECTION}-contact_fields__first_name": "both",
    }
    for key in (
        "sync_direction",
        "crm_sync_interval",
        "sync_contacts",
        "sync_tasks",
        "sync_events",
        "task_fields",
        "event_fields",
        "contact_key_fields",
        "task_key_fields",
        "event_key_fields",
        "sync_start_date",
        "calendar_days_back",
        "calendar_days_ahead",
        "graph_tenant_id",
        "graph_client_id",
    ):
        form[f"{SECTION}-{key}__use_default"] = "on"
    response = client.post(f"/configuration/{SECTION}/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    values = outlook_settings(organization_id=org_admin.organization_id)
    assert values["conflict_resolution"] == "outlook" and values["outlook_sync_interval"] == 45
    assert values["contact_fields"]["job_title"] == "to_outlook"
    assert values["sync_direction"] == "bidirectional"  # its "Use Default" box was checked
