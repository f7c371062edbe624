from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """CRM: accounts, contacts, business customers, leads, opportunities, forecast, activities."""

    name = "accounts"
    verbose_name = "CRM"
