"""Admin screens of the Outlook sync: read-mostly, with the actions an admin needs, writing through services.

The organization's Outlook settings are a section of the Configuration page (they have "Use Default"
boxes and rules across fields); the connections, links, runs, alerts and histories are here.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils.html import format_html

from backoffice.admin import PersonListFilter, ReadOnlyScopedAdmin, person_column
from outlooksync.models import AlertKind, OutlookConnection, SyncAlert, SyncHistory, SyncLink, SyncRun
from outlooksync.services import alert_acknowledge, connection_update, held_deletions_decide, sync_request

user_column = person_column("user", "rep")


def _report(model_admin, request, done: int, failures: list[str], what: str) -> None:
    if done:
        model_admin.message_user(request, f"{done} {what}.", messages.SUCCESS)
    for failure in failures[:10]:
        model_admin.message_user(request, failure, messages.ERROR)


@admin.register(OutlookConnection)
class OutlookConnectionAdmin(ReadOnlyScopedAdmin):
    list_display = [user_column, "mailbox", "sync_enabled", "disabled_by_admin", "show_alerts", "outlook_due_at"]
    list_filter = ["sync_enabled", "disabled_by_admin", ("user", PersonListFilter), "organization"]
    list_select_related = ["user"]
    search_fields = ["mailbox", "user__username", "user__first_name", "user__last_name"]
    readonly_fields = [
        "organization",
        "user",
        "mailbox",
        "sync_enabled",
        "show_alerts",
        "disabled_by_admin",
        "crm_due_at",
        "outlook_due_at",
        "created_at",
        "updated_at",
    ]
    exclude = ["state", "token_cache"]
    actions = ["disable_sync", "enable_sync", "queue_sync", "queue_resync"]

    def _each(self, request, queryset, what: str, write) -> None:
        done, failures = 0, []
        for connection in queryset.select_related("user"):
            try:
                write(connection)
                done += 1
            except (PermissionDenied, ValidationError) as error:
                failures.append(f"{connection.user}: {' '.join(getattr(error, 'messages', [str(error)]))}")
        _report(self, request, done, failures, what)

    @admin.action(description="Stop the synchronization of the selected reps")
    def disable_sync(self, request, queryset):
        self._each(
            request,
            queryset,
            "reps stopped",
            lambda c: connection_update(actor=request.user, user=c.user, disabled_by_admin=True),
        )

    @admin.action(description="Let the selected reps synchronize again")
    def enable_sync(self, request, queryset):
        self._each(
            request,
            queryset,
            "reps allowed again",
            lambda c: connection_update(actor=request.user, user=c.user, disabled_by_admin=False),
        )

    @admin.action(description="Start a synchronization now")
    def queue_sync(self, request, queryset):
        self._each(
            request, queryset, "runs queued", lambda c: sync_request(actor=request.user, user=c.user, trigger="admin")
        )

    @admin.action(description="Queue a resync (delete synced items from Outlook and sync anew)")
    def queue_resync(self, request, queryset):
        self._each(
            request,
            queryset,
            "resyncs queued",
            lambda c: sync_request(actor=request.user, user=c.user, trigger="admin", resync=True),
        )


@admin.register(SyncLink)
class SyncLinkAdmin(ReadOnlyScopedAdmin):
    list_display = ["entity", "crm_id", user_column, "outlook_id", "crm_version", "synced_at"]
    list_filter = ["entity", ("user", PersonListFilter), "synced_at", "organization"]
    list_select_related = ["user"]
    search_fields = ["=crm_id", "outlook_id"]
    readonly_fields = [f.name for f in SyncLink._meta.fields]


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyScopedAdmin):
    list_display = ["id", user_column, "state", "trigger", "resync", "triggers", "summary", "created_at", "finished_at"]
    list_filter = ["state", "trigger", "resync", ("user", PersonListFilter), "created_at", "organization"]
    list_select_related = ["user"]
    readonly_fields = [f.name for f in SyncRun._meta.fields]
    date_hierarchy = "created_at"

    @admin.display(description="what it did")
    def summary(self, run: SyncRun) -> str:
        parts = []
        for side in ("crm", "outlook"):
            for entity, counts in (run.counts or {}).get(side, {}).items():
                done = ", ".join(f"{number} {what}" for what, number in sorted(counts.items()))
                parts.append(f"{side.upper() if side == 'crm' else 'Outlook'} {entity}s: {done}")
        if run.errors:
            parts.append(f"{len(run.errors)} error(s): {run.errors[0][:120]}")
        return "; ".join(parts) or "nothing to do"


@admin.register(SyncAlert)
class SyncAlertAdmin(ReadOnlyScopedAdmin):
    list_display = ["created_at", user_column, "kind", "state", "message"]
    list_filter = ["kind", "state", ("user", PersonListFilter), "created_at", "organization"]
    list_select_related = ["user"]
    search_fields = ["message"]
    readonly_fields = [f.name for f in SyncAlert._meta.fields]
    actions = ["acknowledge", "confirm_deletions", "cancel_deletions"]

    def _decide(self, request, queryset, what: str, decide) -> None:
        done, failures = 0, []
        for alert in queryset.select_related("user"):
            try:
                decide(alert)
                done += 1
            except (PermissionDenied, ValidationError) as error:
                failures.append(f"{alert.message[:80]}: {' '.join(getattr(error, 'messages', [str(error)]))}")
        _report(self, request, done, failures, what)

    @admin.action(description="Acknowledge the selected alerts")
    def acknowledge(self, request, queryset):
        self._decide(request, queryset, "alerts acknowledged", lambda a: alert_acknowledge(actor=request.user, alert=a))

    @admin.action(description="Confirm the held deletions (they are applied by the next run)")
    def confirm_deletions(self, request, queryset):
        self._decide(
            request,
            queryset.filter(kind=AlertKind.DELETIONS_HELD),
            "held deletions confirmed",
            lambda a: held_deletions_decide(actor=request.user, alert=a, confirm=True),
        )

    @admin.action(description="Cancel the held deletions (nothing is deleted)")
    def cancel_deletions(self, request, queryset):
        self._decide(
            request,
            queryset.filter(kind=AlertKind.DELETIONS_HELD),
            "held deletions cancelled",
            lambda a: held_deletions_decide(actor=request.user, alert=a, confirm=False),
        )


@admin.register(SyncHistory)
class SyncHistoryAdmin(ReadOnlyScopedAdmin):
    list_display = ["created_at", user_column, "entity", "crm_id", "side", "action", "changed", "run_link"]
    list_filter = ["entity", "side", "action", ("user", PersonListFilter), "created_at", "organization"]
    list_select_related = ["user"]
    search_fields = ["=crm_id", "outlook_id"]
    readonly_fields = [f.name for f in SyncHistory._meta.fields]
    date_hierarchy = "created_at"

    @admin.display(description="fields")
    def changed(self, entry: SyncHistory) -> str:
        return ", ".join(entry.fields or []) or "—"

    @admin.display(description="run")
    def run_link(self, entry: SyncHistory) -> str:
        if entry.run_id is None:
            return "—"
        return format_html(
            '<a href="{}">#{}</a>', reverse("admin:outlooksync_syncrun_change", args=[entry.run_id]), entry.run_id
        )
