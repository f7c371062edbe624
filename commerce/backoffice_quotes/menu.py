"""The Sales menu's entries for quotes, requests for quote and shopping lists."""

from backoffice.menu import SECTIONS, MenuEntry, menu


def register_menu() -> None:
    # The "sales" section where the menu has one; until then these pages sit with the other commerce pages.
    section = "sales" if "sales" in dict(SECTIONS) else "commerce"
    menu.register(MenuEntry(section, "Quotes", "commerce-quotes:quote-list", order=30))
    menu.register(MenuEntry(section, "RFQs", "commerce-quotes:rfq-list", order=32))
    menu.register(MenuEntry(section, "Shopping lists", "commerce-quotes:shopping-list-list", order=34))
