from django.apps import AppConfig


class CommerceConfig(AppConfig):
    """Commerce: customers, orders, quotes, invoices, promotions, storefront, POS."""

    name = "commerce"
    verbose_name = "Commerce"
    # ready() runs again when a test rebuilds the app registry; the registries refuse a key twice.
    _extensions_registered = False

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from backoffice.models import OrganizationSetting
        from commerce import demo  # noqa: F401  (connects the commerce demo data to seed_demo)

        post_save.connect(_strategy_saved, sender=OrganizationSetting, dispatch_uid="commerce_strategy_saved")
        post_delete.connect(_strategy_saved, sender=OrganizationSetting, dispatch_uid="commerce_strategy_deleted")
        from crmconnector.models import CrmConnectorActivation

        post_save.connect(
            _crm_connector_saved, sender=CrmConnectorActivation, dispatch_uid="commerce_crm_connector_saved"
        )
        if not CommerceConfig._extensions_registered:
            self.register_extensions()
            CommerceConfig._extensions_registered = True

    def register_extensions(self) -> None:
        """Register the commerce and web store customer types and lifetime sources, the strategy section, the job."""
        from accounts.registry import CustomerType, LifetimeSource, customer_types, lifetime_sources
        from backoffice.changelog import change_types
        from commerce import models as commerce
        from commerce.jobs import register_jobs
        from commerce.services.lifetime import order_lifetime_sql
        from commerce.services.strategy import register_strategy_section
        from commerce.services.webstore import web_store_lifetime_sql

        customer_types.register(
            CustomerType(
                model=commerce.CommerceCustomer, label="Commerce customer", url_name="commerce:customer-detail"
            )
        )
        customer_types.register(CustomerType(model=commerce.WebStoreCustomer, label="Web store customer"))
        lifetime_sources.register(
            "commerce.order",
            LifetimeSource(key="commerce.order", sql=order_lifetime_sql, customers=commerce.CommerceCustomer),
        )
        lifetime_sources.register(
            "commerce.web_store_order",
            LifetimeSource(
                key="commerce.web_store_order", sql=web_store_lifetime_sql, customers=commerce.WebStoreCustomer
            ),
        )
        register_strategy_section()
        register_jobs()
        from commerce.crm_conditions import register_crm_conditions

        register_crm_conditions()
        from commerce.sections import register_account_section

        register_account_section()
        from commerce.menu import register_menu
        from commerce.views.pos import register_pos_menu

        register_menu()
        register_pos_menu()
        from commerce.selector_crm import register_crm_selector

        register_crm_selector()
        for name, model in [
            ("commerce_customer", commerce.CommerceCustomer),
            ("customer_group", commerce.CustomerGroup),
            ("customer_user", commerce.CustomerUser),
            ("product", commerce.Product),
            ("order", commerce.Order),
            ("order_line", commerce.OrderLine),
            ("payment", commerce.Payment),
            ("refund", commerce.Refund),
            ("web_store_customer", commerce.WebStoreCustomer),
            ("web_store_order", commerce.WebStoreOrder),
            ("shipment", commerce.Shipment),
            ("shipment_line", commerce.ShipmentLine),
            ("invoice", commerce.Invoice),
            ("invoice_line", commerce.InvoiceLine),
            ("shopping_list", commerce.ShoppingList),
            ("shopping_list_line", commerce.ShoppingListLine),
            ("request_for_quote", commerce.RequestForQuote),
            ("request_for_quote_line", commerce.RequestForQuoteLine),
            ("quote", commerce.Quote),
            ("quote_line", commerce.QuoteLine),
            ("promotion", commerce.Promotion),
        ]:
            change_types.register(name, model)
        from backoffice.menu import MenuEntry, menu
        from commerce.backoffice_quotes.menu import register_menu as register_quotes_menu

        menu.register(MenuEntry("sales", "Shipments", "commerce_documents:shipment-list", order=60))
        menu.register(MenuEntry("sales", "Invoices", "commerce_documents:invoice-list", order=70))
        register_quotes_menu()
        from commerce.promotions_views.menu import register_menu as register_promotions_menu

        register_promotions_menu()


def _strategy_saved(sender, instance, **kwargs) -> None:
    """A saved account-creation strategy queues the re-relation of every customer, in the same transaction.

    A signal because the settings belong to the core app, which must not know commerce.
    """
    from backoffice.changes import current_change_context
    from commerce.jobs import account_relation_request
    from commerce.services.strategy import SECTION, STRATEGY_KEY

    if instance.section != SECTION or instance.key != STRATEGY_KEY or kwargs.get("raw"):
        return
    actor = current_change_context().actor
    account_relation_request(organization=instance.organization, actor=actor if getattr(actor, "pk", None) else None)


def _crm_connector_saved(sender, instance, **kwargs) -> None:
    """Switching the CRM connector on makes the organization's anonymous customer (its CRM sales go on it) in the
    same transaction. A signal because the CRM connector must not know commerce."""
    from backoffice.changes import current_change_context
    from commerce.services.anonymous import anonymous_customer_get

    actor = current_change_context().actor
    if not instance.enabled or kwargs.get("raw") or getattr(actor, "organization_id", None) != instance.organization_id:
        return
    anonymous_customer_get(actor=actor)
