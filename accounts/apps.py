from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """CRM: accounts, contacts, business customers, leads, opportunities, forecast, activities."""

    name = "accounts"
    verbose_name = "CRM"

    def ready(self) -> None:
        from accounts.models import BusinessCustomer
        from accounts.registry import CustomerType, customer_types
        from backoffice.menu import MenuEntry, menu

        customer_types.register(CustomerType(model=BusinessCustomer, label="Business customer"))
        from accounts import models as crm
        from accounts.jobs import register_jobs
        from backoffice.changelog import change_types

        for name, model in [
            ("account", crm.Account),
            ("contact", crm.Contact),
            ("business_customer", crm.BusinessCustomer),
            ("lead", crm.Lead),
            ("opportunity", crm.Opportunity),
            ("task", crm.Task),
            ("event", crm.CalendarEvent),
            ("note", crm.Note),
        ]:
            change_types.register(name, model)
        register_jobs()
        for order, (label, url_name) in enumerate(
            [
                ("Accounts", "accounts:account-list"),
                ("Contacts", "accounts:contact-list"),
                ("Business customers", "accounts:businesscustomer-list"),
                ("Leads", "accounts:lead-list"),
                ("Opportunities", "accounts:opportunity-list"),
                ("Pipeline", "accounts:pipeline"),
                ("Forecast", "accounts:forecast"),
                ("My tasks", "accounts:my-tasks"),
                ("Calendar", "accounts:calendar"),
            ]
        ):
            menu.register(MenuEntry("crm", label, url_name, order=order * 10))
        from accounts import demo  # noqa: F401  (connects the demo data to seed_demo)
        from accounts.activity_list import register_default_sources

        register_default_sources()
