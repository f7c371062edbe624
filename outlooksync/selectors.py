"""What the Outlook pages and the plug-in API read about a rep's synchronization."""

import datetime as dt

from django.db.models import Count

from backoffice.models import User
from outlooksync.engine.records import Entity
from outlooksync.models import SyncLink, SyncRun
from outlooksync.services import connection_get
from outlooksync.settings_section import outlook_settings


def _instant(text) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(text) if text else None
    except (TypeError, ValueError):
        return None


def sync_status(user: User) -> dict:
    """Per entity: the last successful sync of each side and the links; the next due times; the last run."""
    connection = connection_get(user=user)
    values = outlook_settings(organization_id=user.organization_id)
    links = dict(
        SyncLink.objects.filter(user=user).values("entity").annotate(number=Count("id")).values_list("entity", "number")
    )
    synced = (connection.state or {}).get("synced_at", {})
    return {
        "user": user.pk,
        "sync_enabled": connection.sync_enabled,
        "disabled_by_admin": connection.disabled_by_admin,
        "crm_due_at": connection.crm_due_at,
        "outlook_due_at": connection.outlook_due_at,
        "entities": [
            {
                "entity": str(entity),
                "enabled": bool(values[f"sync_{entity}s"]),
                "crm_synced_at": _instant(synced.get(str(entity), {}).get("crm")),
                "outlook_synced_at": _instant(synced.get(str(entity), {}).get("outlook")),
                "links": links.get(str(entity), 0),
            }
            for entity in Entity
        ],
        "last_run": SyncRun.objects.filter(user=user).order_by("-created_at", "-id").first(),
    }
