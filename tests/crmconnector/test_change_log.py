"""Changes of CRM connector configurations, their properties and the activation are on the change log,
with who and what changed; the credentials never are, neither in clear nor encrypted."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from backoffice.changelog import change_types, record_history
from backoffice.models import ChangeLogEntry
from crmconnector.models import CrmConnectorActivation, CrmConnectorConfiguration, CrmConnectorProperty
from crmconnector.services import activation_update, configuration_delete, configuration_save
from tests.crmconnector.conftest import make_configuration

pytestmark = pytest.mark.django_db

SECRET = "sk-live-9f8e7d6c5b4a-never-logged"
NEW_SECRET = "sk-live-0a1b2c3d4e5f-also-never-logged"


def _entries(model) -> list[ChangeLogEntry]:
    content_type = ContentType.objects.get_for_model(model)
    return list(ChangeLogEntry.objects.filter(content_type=content_type).order_by("id"))


def _every_logged_text() -> str:
    """Every field of every change log entry, as text."""
    return "\n".join(
        json.dumps([entry.changes, entry.object_repr, entry.origin, entry.action], default=str)
        for entry in ChangeLogEntry.objects.all()
    )


def _assert_no_credentials(*configurations: CrmConnectorConfiguration, secrets=(SECRET,)) -> None:
    logged = _every_logged_text()
    for secret in secrets:
        assert secret not in logged
    for configuration in configurations:
        encrypted = CrmConnectorConfiguration.objects.get(pk=configuration.pk).secret_encrypted
        if encrypted:
            assert encrypted not in logged
    assert "secret_encrypted" not in logged


def _reload(configuration) -> tuple[CrmConnectorConfiguration, list[CrmConnectorProperty]]:
    fresh = CrmConnectorConfiguration.objects.get(pk=configuration.pk)
    return fresh, list(fresh.properties.order_by("id"))


def test_the_three_are_change_types():
    assert change_types.get("crm_connector_configuration") is CrmConnectorConfiguration
    assert change_types.get("crm_connector_property") is CrmConnectorProperty
    assert change_types.get("crm_connector_activation") is CrmConnectorActivation


def test_a_new_configuration_and_its_properties_are_logged_without_the_secret(org_admin):
    configuration = make_configuration(org_admin, url="http://crm.example.test", secret=SECRET)
    [created] = _entries(CrmConnectorConfiguration)
    assert created.action == "create" and created.organization_id == org_admin.organization_id
    assert created.changes["base_url"] == [None, "http://crm.example.test"]
    assert created.changes["credentials"] == [None, "set"]
    assert "secret_encrypted" not in created.changes and "revision" not in created.changes
    properties = _entries(CrmConnectorProperty)
    assert len(properties) == configuration.properties.count()
    assert {entry.action for entry in properties} == {"create"}
    assert all(entry.organization_id == org_admin.organization_id for entry in properties)
    _assert_no_credentials(configuration)


def test_changes_are_logged_with_old_and_new_values_and_credentials_only_as_set_or_replaced(org_admin):
    configuration = make_configuration(org_admin, url="http://crm.example.test", secret=SECRET)
    first_version = CrmConnectorConfiguration.objects.get(pk=configuration.pk).version
    configuration, properties = _reload(configuration)
    configuration.timeout_seconds = 9
    email = next(p for p in properties if p.external_field == "email")
    email.label = "Work e-mail"
    configuration_save(actor=org_admin, configuration=configuration, properties=properties, secret=NEW_SECRET)

    [_, update] = _entries(CrmConnectorConfiguration)
    assert update.action == "update" and update.actor_id == org_admin.pk
    assert update.changes == {"timeout_seconds": [2, 9], "credentials": ["set", "replaced"]}
    assert CrmConnectorConfiguration.objects.get(pk=configuration.pk).version == first_version + 1
    property_updates = [e for e in _entries(CrmConnectorProperty) if e.action == "update"]
    # Only the property that changed, with its real change (not the temporary renaming of the save).
    assert [(e.object_id, e.changes) for e in property_updates] == [(email.pk, {"label": ["E-mail", "Work e-mail"]})]
    # The unique columns are back as they were.
    configuration, stored = _reload(configuration)
    assert [(p.external_field, p.is_reference, p.use_as) for p in stored] == [
        (p.external_field, p.is_reference, p.use_as) for p in properties
    ]
    history = record_history(record=configuration)
    assert {"field": "Credentials", "old": "set", "new": "replaced"} in history[0]["changes"]

    # Removing the secret says so; a save changing nothing logs nothing.
    configuration_save(actor=org_admin, configuration=configuration, properties=stored, secret="")
    configuration, stored = _reload(configuration)
    configuration_save(actor=org_admin, configuration=configuration, properties=stored, secret=None)
    entries = _entries(CrmConnectorConfiguration)
    assert len(entries) == 3 and entries[-1].changes == {"credentials": ["set", "none"]}
    assert not [e for e in _entries(CrmConnectorProperty) if e.action == "update" and e.object_id != email.pk]
    _assert_no_credentials(configuration, secrets=(SECRET, NEW_SECRET))


def test_swapping_the_reference_key_logs_both_properties_honestly(org_admin):
    configuration = make_configuration(org_admin, url="http://crm.example.test", secret=SECRET)
    configuration, properties = _reload(configuration)
    old_reference = next(p for p in properties if p.is_reference)
    first_name = next(p for p in properties if p.external_field == "first_name")
    old_reference.is_reference, first_name.is_reference = False, True
    first_name.editable_on_edit = False
    configuration_save(actor=org_admin, configuration=configuration, properties=properties)
    updates = {e.object_id: e.changes for e in _entries(CrmConnectorProperty) if e.action == "update"}
    assert updates == {
        old_reference.pk: {"is_reference": [True, False]},
        first_name.pk: {"editable_on_edit": [True, False], "is_reference": [False, True]},
    }
    assert "~" not in _every_logged_text()
    assert CrmConnectorProperty.objects.get(is_reference=True, configuration=configuration).pk == first_name.pk


def test_removed_properties_activation_and_deletion_are_logged(org_admin):
    configuration = make_configuration(org_admin, url="http://crm.example.test", secret=SECRET)
    configuration, properties = _reload(configuration)
    removed = next(p for p in properties if p.external_field == "phone")
    configuration_save(
        actor=org_admin, configuration=configuration, properties=[p for p in properties if p.pk != removed.pk]
    )
    assert [e.object_id for e in _entries(CrmConnectorProperty) if e.action == "delete"] == [removed.pk]

    activation_update(actor=org_admin, enabled=True, configuration=configuration)
    activation_update(actor=org_admin, enabled=False, configuration=configuration)
    activation = CrmConnectorActivation.objects.get(organization_id=org_admin.organization_id)
    logged = _entries(CrmConnectorActivation)
    assert [e.action for e in logged] == ["create", "update", "update"]
    assert logged[1].changes == {"enabled": [False, True], "configuration": [None, configuration.pk]}
    assert logged[2].changes == {"enabled": [True, False]}
    assert activation.version == 3

    configuration_pk = configuration.pk
    configuration_delete(actor=org_admin, configuration=configuration)
    assert _entries(CrmConnectorConfiguration)[-1].action == "delete"
    assert _entries(CrmConnectorActivation)[-1].changes == {"configuration": [configuration_pk, None]}
    assert len([e for e in _entries(CrmConnectorProperty) if e.action == "delete"]) == len(properties)
    _assert_no_credentials()


def _settings_value(**environment) -> subprocess.CompletedProcess:
    env = {**os.environ, "DJANGO_READ_DOT_ENV": "0", **environment}
    code = (
        "import backoffice.settings as s;print(s.CRM_CONNECTOR_CIRCUIT_FAILURES, s.CRM_CONNECTOR_CIRCUIT_PAUSE_SECONDS)"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )


def test_circuit_breaker_settings_come_from_the_environment_within_bounds():
    environment = {key: value for key, value in os.environ.items() if not key.startswith("CRM_CONNECTOR_CIRCUIT_")}
    defaults = subprocess.run(
        [
            sys.executable,
            "-c",
            "import backoffice.settings as s;"
            "print(s.CRM_CONNECTOR_CIRCUIT_FAILURES, s.CRM_CONNECTOR_CIRCUIT_PAUSE_SECONDS)",
        ],
        cwd=settings.BASE_DIR,
        env={**environment, "DJANGO_READ_DOT_ENV": "0"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert defaults.stdout.split() == ["5", "30.0"], defaults.stderr
    chosen = _settings_value(CRM_CONNECTOR_CIRCUIT_FAILURES="8", CRM_CONNECTOR_CIRCUIT_PAUSE_SECONDS="2.5")
    assert chosen.stdout.split() == ["8", "2.5"], chosen.stderr
    for name, value in [
        ("CRM_CONNECTOR_CIRCUIT_FAILURES", "0"),
        ("CRM_CONNECTOR_CIRCUIT_FAILURES", "100000"),
        ("CRM_CONNECTOR_CIRCUIT_PAUSE_SECONDS", "0"),
        ("CRM_CONNECTOR_CIRCUIT_PAUSE_SECONDS", "86400"),
    ]:
        refused = _settings_value(**{name: value})
        assert refused.returncode != 0
        assert "ImproperlyConfigured" in refused.stderr and name in refused.stderr


def test_the_settings_are_documented_in_env_example():
    example = (settings.BASE_DIR / ".env.example").read_text()
    assert "CRM_CONNECTOR_CIRCUIT_FAILURES=5" in example
    assert "CRM_CONNECTOR_CIRCUIT_PAUSE_SECONDS=30" in example


def test_a_secret_typed_in_the_window_or_the_admin_is_in_no_change_log_entry(client, org_admin):
    """Through the pages an admin uses: the entries say who and from where, the history reads
    "Credentials: set", and neither the typed secret nor its encrypted form is anywhere in the log."""
    from tests.crmconnector.test_views import NEW, _post_data, _valid_properties

    client.force_login(org_admin)
    assert client.post(NEW, _post_data(*_valid_properties(), secret=SECRET)).status_code == 302
    org_admin.is_staff = True
    org_admin.save()
    admin_add = reverse("admin:crmconnector_crmconnectorconfiguration_add")
    data = _post_data(*_valid_properties(), name="Second CRM", secret=NEW_SECRET)
    assert client.post(admin_add, data).status_code == 302
    first, second = CrmConnectorConfiguration.objects.order_by("id")
    assert first.get_secret() == SECRET and second.get_secret() == NEW_SECRET
    entries = _entries(CrmConnectorConfiguration)
    assert [(e.actor_id, e.changes["credentials"]) for e in entries] == [(org_admin.pk, [None, "set"])] * 2
    assert [e.origin for e in entries] == ["web", "admin"]
    history = client.get(reverse("record-history", args=["crm_connector_configuration", first.pk]))
    assert history.status_code == 200
    page = history.content.decode()
    assert 'data-history-action="create"' in page and SECRET not in page and first.secret_encrypted not in page
    _assert_no_credentials(first, second, secrets=(SECRET, NEW_SECRET))
