"""Commerce's entries of the shared menu: customers and their users beside the CRM's accounts and contacts,
orders and products in "Sales" (where the other selling pages join them)."""

from backoffice.menu import MenuEntry, menu


def register_menu() -> None:
    """Register the commerce pages' menu entries (after the CRM's in the "Customers" section)."""
    for entry in (
        MenuEntry("customers", "Customers", "commerce:customer-list", order=100),
        MenuEntry("customers", "Customer hierarchies", "commerce:customer-tree", order=105),
        MenuEntry("customers", "Customer users", "commerce:customeruser-list", order=110),
        MenuEntry("customers", "Customer groups", "commerce:customergroup-list", order=120),
        MenuEntry("sales", "Orders", "commerce:order-list", order=10),
        MenuEntry("sales", "Products", "commerce:product-list", order=20),
    ):
        menu.register(entry)
