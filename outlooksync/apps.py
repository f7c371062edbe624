from django.apps import AppConfig


class OutlookSyncConfig(AppConfig):
    """Synchronization of contacts, tasks and calendar events with Outlook mailboxes."""

    name = "outlooksync"
    verbose_name = "Outlook synchronization"

    def ready(self) -> None:
        from backoffice.menu import MenuEntry, menu
        from outlooksync.settings_section import register_outlook_section

        register_outlook_section()
        # The installer upload takes a body larger than other requests (plus room for the form's other fields).
        from backoffice.request_limits import large_body_paths
        from outlooksync.services import PLUGIN_MAX_BYTES

        large_body_paths["/outlook/plugin/upload/"] = PLUGIN_MAX_BYTES + 64 * 1024
        menu.register(MenuEntry("system", "Outlook synchronization", "outlooksync:home", order=50))
        from backoffice.record_panels import RecordPanel, record_panels

        if "outlook_sync" not in record_panels:
            record_panels.add(
                RecordPanel("outlook_sync", "Outlook sync", ("contact", "task", "event"), "outlooksync:record-history")
            )
