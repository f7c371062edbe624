from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """CRM: accounts, contacts, business customers, leads, opportunities, forecast, activities."""

    name = "accounts"
    verbose_name = "CRM"

    def ready(self) -> None:
        from accounts.models import BusinessCustomer
        from accounts.registry import CustomerType, customer_types

        customer_types.register(CustomerType(model=BusinessCustomer, label="Business customer"))
