from django.apps import AppConfig


class CommerceConfig(AppConfig):
    """Commerce: customers, orders, quotes, invoices, promotions, storefront, POS."""

    name = "commerce"
    verbose_name = "Commerce"
