"""Two admins writing at once, in real parallel transactions on PostgreSQL: no error, no mixed result."""

import threading

import pytest
from django.db import connection, connections

from crmconnector.models import CrmConnectorActivation, CrmConnectorConfiguration
from crmconnector.services import activation_update, configuration_save
from tests.crmconnector.conftest import make_configuration

pytestmark = pytest.mark.django_db(transaction=True)


def _in_parallel(*calls) -> list:
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            outcomes[index] = call()
        except Exception as error:  # reported by the assertions below
            outcomes[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's")
def test_two_saves_of_one_configuration_at_once_leave_one_whole_property_set(org_admin):
    configuration = make_configuration(org_admin, url="http://crm.example.test")

    def save(reference_field: str):
        def call():
            stored = CrmConnectorConfiguration.objects.get(pk=configuration.pk)
            properties = list(stored.properties.all())
            for prop in properties:
                prop.is_reference = prop.external_field == reference_field
                prop.is_document_identifier = prop.is_reference
                if prop.is_reference:
                    prop.editable_on_edit = False
            return configuration_save(actor=org_admin, configuration=stored, properties=properties)

        return call

    for _ in range(3):
        outcomes = _in_parallel(save("id"), save("last_name"))
        assert all(isinstance(o, CrmConnectorConfiguration) for o in outcomes), outcomes
        references = list(configuration.properties.filter(is_reference=True).values_list("external_field", flat=True))
        assert references in (["id"], ["last_name"])
        assert configuration.properties.count() == 7
        assert not configuration.properties.filter(external_field__startswith="~").exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's")
def test_two_first_switches_at_once(org_admin):
    first = make_configuration(org_admin, url="http://crm.example.test", name="first")
    second = make_configuration(org_admin, url="http://crm.example.test", name="second")
    outcomes = _in_parallel(
        lambda: activation_update(actor=org_admin, enabled=True, configuration=first),
        lambda: activation_update(actor=org_admin, enabled=True, configuration=second),
    )
    assert all(isinstance(o, CrmConnectorActivation) for o in outcomes), outcomes
    [activation] = CrmConnectorActivation.objects.filter(organization=org_admin.organization)
    assert activation.enabled and activation.configuration_id in (first.pk, second.pk)
