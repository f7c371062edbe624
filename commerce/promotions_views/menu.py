"""The Sales menu's entry for promotions (after quotes and shopping lists, before shipments)."""

from backoffice.menu import MenuEntry, menu


def register_menu() -> None:
    menu.register(MenuEntry("sales", "Promotions", "commerce-promotions:promotion-list", order=40))
