from django.apps import AppConfig


class CrmConnectorConfig(AppConfig):
    """Connectors to external CRMs that are the master of customer data."""

    name = "crmconnector"
    verbose_name = "CRM connector"
