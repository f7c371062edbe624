"""Per-organization settings (typed, validated, audited, "use default") and external references."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import Contact
from backoffice.models import ChangeLogEntry, OrganizationSetting
from backoffice.org_settings import CHANGE_LOG_SECTION, USE_DEFAULT, settings_get, settings_update
from backoffice.references import (
    external_reference_id,
    external_reference_ids,
    external_reference_record,
    external_reference_remove,
    external_reference_set,
)
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def test_a_setting_left_at_default_follows_the_product_default(org_admin, settings):
    org = org_admin.organization_id
    assert settings_get(organization_id=org, section=CHANGE_LOG_SECTION) == {"retention_days": 90}
    settings.CHANGE_LOG_RETENTION_DAYS = 30  # a later release changes the default
    assert settings_get(organization_id=org, section=CHANGE_LOG_SECTION) == {"retention_days": 30}
    settings_update(actor=org_admin, section=CHANGE_LOG_SECTION, values={"retention_days": "45"})
    settings.CHANGE_LOG_RETENTION_DAYS = 60
    assert settings_get(organization_id=org, section=CHANGE_LOG_SECTION) == {"retention_days": 45}
    settings_update(actor=org_admin, section=CHANGE_LOG_SECTION, values={"retention_days": USE_DEFAULT})
    assert settings_get(organization_id=org, section=CHANGE_LOG_SECTION) == {"retention_days": 60}
    assert not OrganizationSetting.objects.filter(organization_id=org).exists()


def test_settings_are_validated_audited_and_for_admins_only(org_admin, rep):
    with pytest.raises(ValidationError) as refused:
        settings_update(actor=org_admin, section=CHANGE_LOG_SECTION, values={"retention_days": 0})
    assert "retention_days" in refused.value.message_dict
    with pytest.raises(ValidationError):
        settings_update(actor=org_admin, section=CHANGE_LOG_SECTION, values={"colour": "red"})
    with pytest.raises(PermissionDenied):
        settings_update(actor=rep, section=CHANGE_LOG_SECTION, values={"retention_days": 10})
    settings_update(actor=org_admin, section=CHANGE_LOG_SECTION, values={"retention_days": 10})
    settings_update(actor=org_admin, section=CHANGE_LOG_SECTION, values={"retention_days": 12})
    entries = ChangeLogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(OrganizationSetting)
    ).order_by("id")
    assert [(e.action, e.actor_id, e.changes.get("value")) for e in entries] == [
        ("create", org_admin.pk, [None, 10]),
        ("update", org_admin.pk, [10, 12]),
    ]


def test_configuration_page_saves_a_section_and_explains_errors(org_admin, rep, session_client):
    client = session_client(org_admin)
    page = client.get("/configuration/")
    assert page.status_code == 200 and "Keep entries for (days)" in page.content.decode()
    bad = client.post("/configuration/change_log/", {"change_log-retention_days": "0"})
    assert bad.status_code == 400
    assert "greater than or equal to 1" in bad.content.decode()
    good = client.post("/configuration/change_log/", {"change_log-retention_days": "30"})
    assert good.status_code == 302
    assert settings_get(organization_id=org_admin.organization_id, section=CHANGE_LOG_SECTION)["retention_days"] == 30
    back = client.post(
        "/configuration/change_log/",
        {"change_log-retention_days": "abc", "change_log-retention_days__use_default": "on"},
    )
    assert back.status_code == 302  # "Use default" wins whatever the field holds
    assert settings_get(organization_id=org_admin.organization_id, section=CHANGE_LOG_SECTION)["retention_days"] == 90
    client.logout()
    assert session_client(rep).get("/configuration/").status_code == 403


def test_settings_api_reads_the_sections(rep, key_client):
    body = key_client(rep).get("/api/settings/").json()
    section = next(s for s in body if s["key"] == CHANGE_LOG_SECTION)
    assert section["settings"]["retention_days"] == {"value": 90, "default": 90, "use_default": True}
    assert key_client(rep).get("/api/settings/nope/").status_code == 404


def test_external_references_both_ways_and_unique(rep, outsider):
    contact, other = ContactFactory(owner=rep), ContactFactory(owner=rep)
    external_reference_set(system="outlook", external_id="AAMk-1", record=contact)
    assert external_reference_id(system="outlook", record=contact) == "AAMk-1"
    assert (
        external_reference_record(
            organization_id=rep.organization_id, system="outlook", external_id="AAMk-1", model=Contact
        )
        == contact
    )
    with pytest.raises(ValidationError):
        external_reference_set(system="outlook", external_id="AAMk-1", record=other)  # names another record
    external_reference_set(system="outlook", external_id="AAMk-2", record=contact)  # a new id replaces the old
    assert external_reference_ids(system="outlook", model=Contact, object_ids=[contact.pk, other.pk]) == {
        contact.pk: "AAMk-2"
    }
    # The same external id in another organization is another record.
    stranger = ContactFactory(owner=outsider)
    external_reference_set(system="outlook", external_id="AAMk-2", record=stranger)
    assert (
        external_reference_record(
            organization_id=rep.organization_id, system="outlook", external_id="AAMk-2", model=Contact
        )
        == contact
    )
    assert external_reference_remove(system="outlook", record=contact) == 1
    assert external_reference_id(system="outlook", record=contact) is None


@pytest.mark.django_db(transaction=True)
def test_two_first_saves_of_a_setting_at_once_both_succeed_and_the_last_one_stays():
    """Two admins save a setting no one has set yet, in parallel transactions: neither gets an error."""
    import threading

    from django.db import connection, connections

    from tests.conftest import need_service
    from tests.factories import OrganizationFactory, UserFactory

    need_service(connection.vendor == "postgresql", "PostgreSQL")
    organization = OrganizationFactory()
    admins = [UserFactory(organization=organization, role="admin") for _ in range(2)]
    start, errors, saved = threading.Barrier(2), [], []

    def save(admin, days):
        try:
            start.wait()
            settings_update(actor=admin, section=CHANGE_LOG_SECTION, values={"retention_days": days})
            saved.append(days)
        except Exception as error:  # noqa: BLE001 (any error is the failure reported below)
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=save, args=(admin, days)) for admin, days in zip(admins, (30, 45), strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert settings_get(organization_id=organization.pk, section=CHANGE_LOG_SECTION)["retention_days"] == saved[-1]
    assert OrganizationSetting.objects.filter(organization=organization, section=CHANGE_LOG_SECTION).count() == 1
