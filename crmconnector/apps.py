from django.apps import AppConfig


class CrmConnectorConfig(AppConfig):
    """Connectors to external CRMs that are the master of customer data."""

    name = "crmconnector"
    verbose_name = "CRM connector"
    # ready() runs again when a test rebuilds the app registry; the change types refuse a name twice.
    _change_types_registered = False

    def ready(self) -> None:
        from backoffice.menu import MenuEntry, menu
        from crmconnector import log_privacy
        from crmconnector.connectors.backoffice import BackOfficeConnector
        from crmconnector.connectors.generic_rest import GenericRestConnector
        from crmconnector.connectors.registry import connector_registry

        for connector in (BackOfficeConnector, GenericRestConnector):
            if connector.key not in connector_registry._connectors:
                connector_registry.register(connector)
        log_privacy.install()
        if not CrmConnectorConfig._change_types_registered:
            self.register_change_types()
            CrmConnectorConfig._change_types_registered = True
        from backoffice.org_settings import settings_sections
        from crmconnector.settings_section import SECTION, register_section

        if SECTION not in settings_sections:
            register_section()
        menu.register(
            MenuEntry("system", "CRM connector", "crmconnector:configuration-list", order=60, admin_only=True)
        )

    def register_change_types(self) -> None:
        """Configurations, their properties and the activation on the change log (never the credentials)."""
        from backoffice.changelog import change_types
        from crmconnector import models

        for name, model in [
            ("crm_connector_configuration", models.CrmConnectorConfiguration),
            ("crm_connector_property", models.CrmConnectorProperty),
            ("crm_connector_activation", models.CrmConnectorActivation),
        ]:
            change_types.register(name, model)
