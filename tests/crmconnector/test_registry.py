"""Connectors are registered in code or by an installed package's entry point, without touching our code."""

import sys
import textwrap

import pytest

from crmconnector.connectors import CrmConnector, CrmCustomer, CrmPage, connector_registry
from crmconnector.connectors.registry import ENTRY_POINT_GROUP, ConnectorRegistry
from crmconnector.customers import crm_customer_get, crm_customer_search
from tests.crmconnector.conftest import make_configuration


class MemoryConnector(CrmConnector):
    """A connector kept in memory, as a third party might write one."""

    key = "memory_test"
    label = "Memory (test)"

    def search(self, *, filters, page, page_size):
        return CrmPage(customers=[CrmCustomer("M1", {"id": "M1", "email": "m@example.com"})], page=1, page_size=1)

    def get(self, reference):
        return CrmCustomer(reference, {"id": reference})

    def create(self, values):
        return CrmCustomer("M2", values)

    def update(self, reference, values):
        return CrmCustomer(reference, values)

    def health_check(self):
        return None


def test_the_built_in_connectors_are_registered():
    keys = dict(connector_registry.choices())
    assert keys["backoffice"] == "Back office (another installation)"
    assert keys["generic_rest"] == "Generic REST (JSON)"


def test_a_connector_registered_in_code_is_usable_by_a_configuration(org_admin):
    connector_registry.register(MemoryConnector)
    try:
        configuration = make_configuration(org_admin, url="http://memory.invalid", connector="memory_test", options={})
        assert crm_customer_search(configuration=configuration, filters={}).customers[0].reference == "M1"
        assert crm_customer_get(configuration=configuration, reference="M9").reference == "M9"
    finally:
        connector_registry.unregister("memory_test")


def test_registering_a_key_twice_or_a_class_that_is_not_a_connector_is_refused():
    registry = ConnectorRegistry()
    registry._entry_points_loaded = True
    registry.register(MemoryConnector)
    with pytest.raises(ValueError, match="'memory_test' is registered already"):
        registry.register(MemoryConnector)
    with pytest.raises(TypeError):
        registry.register(dict)


def test_a_package_adds_a_connector_through_its_entry_point(tmp_path, monkeypatch, caplog):
    package = tmp_path / "acme_crm_connector.py"
    package.write_text(
        textwrap.dedent(
            """
            from crmconnector.connectors import CrmConnector, CrmCustomer, CrmPage

            class AcmeConnector(CrmConnector):
                key = "acme"
                label = "Acme CRM"

                def search(self, *, filters, page, page_size):
                    return CrmPage([], page, page_size)

                def get(self, reference):
                    return CrmCustomer(reference)

                def create(self, values):
                    return CrmCustomer("A1")

                def update(self, reference, values):
                    return CrmCustomer(reference)

                def health_check(self):
                    return None

            class Broken:
                key = "broken"
            """
        )
    )
    dist = tmp_path / "acme_crm_connector-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-crm-connector\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\nacme = acme_crm_connector:AcmeConnector\nbroken = acme_crm_connector:Broken\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = ConnectorRegistry()
    assert "acme" in registry
    assert registry.get("acme").label == "Acme CRM"
    assert "broken" not in registry
    assert "CRM connector entry point broken not registered" in caplog.text
    sys.modules.pop("acme_crm_connector", None)
