from django.apps import AppConfig


class OutlookSyncConfig(AppConfig):
    """Synchronization of contacts, tasks and calendar events with Outlook mailboxes."""

    name = "outlooksync"
    verbose_name = "Outlook synchronization"
