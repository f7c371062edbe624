from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """CRM: accounts, contacts, business customers, leads, opportunities, forecast, activities."""

    name = "accounts"
    verbose_name = "CRM"
    # The registries refuse a key registered twice, and ready() runs again when a test rebuilds the
    # app registry (override_settings(INSTALLED_APPS=...)): the CRM's own entries go in once per process.
    _extensions_registered = False

    def ready(self) -> None:
        from accounts import demo  # noqa: F401  (connects the demo data to seed_demo)

        if not AccountsConfig._extensions_registered:
            self.register_extensions()
            AccountsConfig._extensions_registered = True

    def register_extensions(self) -> None:
        """Register the CRM's customer type, lifetime source, activity sources, change types, jobs and menu entries."""
        from accounts import models as crm
        from accounts.activity_list import register_default_sources
        from accounts.jobs import register_jobs
        from accounts.registry import CustomerType, LifetimeSource, customer_types, lifetime_sources
        from accounts.services.lifetime_recalculation import opportunity_lifetime_sql
        from backoffice.changelog import change_types
        from backoffice.menu import MenuEntry, menu

        customer_types.register(CustomerType(model=crm.BusinessCustomer, label="Business customer"))
        lifetime_sources.register(
            "accounts.opportunity", LifetimeSource(key="accounts.opportunity", sql=opportunity_lifetime_sql)
        )
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
        # The "Customers" section is shared with commerce (its customers and customer users follow these).
        for order, (label, url_name) in enumerate(
            [
                ("Accounts", "accounts:account-list"),
                ("Contacts", "accounts:contact-list"),
                ("Business customers", "accounts:businesscustomer-list"),
            ]
        ):
            menu.register(MenuEntry("customers", label, url_name, order=order * 10))
        for order, (label, url_name) in enumerate(
            [
                ("Leads", "accounts:lead-list"),
                ("Opportunities", "accounts:opportunity-list"),
                ("Pipeline", "accounts:pipeline"),
                ("Forecast", "accounts:forecast"),
                ("My tasks", "accounts:my-tasks"),
                ("Calendar", "accounts:calendar"),
            ]
        ):
            menu.register(MenuEntry("crm", label, url_name, order=order * 10))
        register_default_sources()
