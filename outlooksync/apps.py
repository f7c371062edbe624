from django.apps import AppConfig


class OutlookSyncConfig(AppConfig):
    """Synchronization of contacts, tasks and calendar events with Outlook mailboxes."""

    name = "outlooksync"
    verbose_name = "Outlook synchronization"

    def ready(self) -> None:
        from backoffice.menu import MenuEntry, menu
        from outlooksync.settings_section import register_outlook_section

        register_outlook_section()
        menu.register(MenuEntry("system", "Outlook synchronization", "outlooksync:home", order=50))
