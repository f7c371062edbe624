from django.apps import AppConfig


class CrmConnectorConfig(AppConfig):
    """Connectors to external CRMs that are the master of customer data."""

    name = "crmconnector"
    verbose_name = "CRM connector"

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
        menu.register(
            MenuEntry("system", "CRM connector", "crmconnector:configuration-list", order=60, admin_only=True)
        )
