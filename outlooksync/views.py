"""The rep's Outlook page: status per entity, the plug-in's switches, preview, start sync now, runs and alerts.

Organization admins open any rep's page with ?user=<id>; everything is written through the services.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from backoffice.models import User
from backoffice.org_settings import can_configure
from outlooksync.graph.errors import GraphError
from outlooksync.models import PluginRelease, SyncAlert, SyncHistory, SyncRun
from outlooksync.selectors import sync_status
from outlooksync.services import (
    PLUGIN_MAX_BYTES,
    alert_acknowledge,
    connection_get,
    connection_update,
    held_deletions_decide,
    plugin_latest,
    plugin_upload,
    sync_request,
)
from outlooksync.settings_section import field_label

RECENT_RUNS = 10
OPEN_ALERTS = 50
SIDE_LABELS = {"crm": "CRM", "outlook": "Outlook"}
ENTITY_LABELS = {"contact": "Contacts", "task": "Tasks", "event": "Calendar events"}
COUNTED = ("created", "updated", "deleted", "archived", "restored", "linked", "unlinked", "stamped")


def _subject(request) -> User:
    user = request.user
    if not user.organization_id:
        raise PermissionDenied("The Outlook synchronization is per organization; this user has none.")
    wanted = request.GET.get("user") or request.POST.get("user")
    if wanted in (None, "", str(user.pk)):
        return user
    if not can_configure(user) or not str(wanted).isdigit() or len(str(wanted)) > 18:
        raise PermissionDenied("Only organization admins open another rep's Outlook page.")
    return get_object_or_404(User, pk=int(wanted), organization_id=user.organization_id)


def _home_url(user: User, actor: User) -> str:
    url = reverse("outlooksync:home")
    return url if user.pk == actor.pk else f"{url}?user={user.pk}"


def run_rows(run: SyncRun) -> list[dict]:
    """A run's counts as table rows: one per side and entity, a column per kind of write."""
    rows = []
    for side in ("crm", "outlook"):
        for entity, counts in sorted((run.counts or {}).get(side, {}).items()):
            rows.append(
                {
                    "side": SIDE_LABELS[side],
                    "entity": ENTITY_LABELS.get(entity, entity),
                    "counts": [counts.get(what, 0) for what in COUNTED],
                }
            )
    return rows


@login_required
@require_GET
def outlook_home(request):
    user = _subject(request)
    status = sync_status(user)
    return render(
        request,
        "outlooksync/home.html",
        {
            "subject": user,
            "own": user.pk == request.user.pk,
            "status": status,
            "entity_labels": ENTITY_LABELS,
            "connection": connection_get(user=user),
            "alerts": SyncAlert.objects.filter(user=user, state="open").order_by("-created_at", "-id")[:OPEN_ALERTS],
            "runs": SyncRun.objects.filter(user=user).order_by("-created_at", "-id")[:RECENT_RUNS],
            "user_query": "" if user.pk == request.user.pk else f"?user={user.pk}",
            "plugin": plugin_latest(organization_id=user.organization_id),
            "can_upload": can_configure(request.user),
            "plugin_max_mb": PLUGIN_MAX_BYTES // (1024 * 1024),
        },
    )


def plugin_response(release) -> HttpResponse:
    """The installer as a download."""
    content = PluginRelease.objects.filter(pk=release.pk).values_list("content", flat=True).get()
    response = HttpResponse(bytes(content), content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="{release.file_name}"'
    response["Content-Length"] = str(release.size)
    response["X-Plugin-Version"] = release.version
    return response


@login_required
@require_GET
def plugin_download(request):
    """The organization's newest Outlook plug-in installer, at an address that does not change."""
    release = plugin_latest(organization_id=request.user.organization_id) if request.user.organization_id else None
    if release is None:
        raise Http404("No Outlook plug-in has been uploaded yet.")
    return plugin_response(release)


@login_required
@require_POST
def plugin_upload_view(request):
    try:
        release = plugin_upload(
            actor=request.user, uploaded=request.FILES.get("file"), version=request.POST.get("version", "")
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, f"Plug-in {release.version} uploaded; reps download it from this page.")
    return redirect("outlooksync:home")


@login_required
@require_POST
def outlook_connection(request):
    """Enable Sync and Show Alerts; turning sync on for the first time shows the preview first."""
    user = _subject(request)
    wants_sync = request.POST.get("sync_enabled") == "on"
    first_time = (
        wants_sync
        and not connection_get(user=user).sync_enabled
        and not SyncRun.objects.filter(user=user).exists()
        and request.POST.get("confirmed") != "1"
    )
    if first_time:
        return _preview_response(
            request, user, confirm_enable=True, show_alerts=request.POST.get("show_alerts") == "on"
        )
    try:
        connection_update(
            actor=request.user,
            user=user,
            sync_enabled=request.POST.get("sync_enabled") == "on",
            show_alerts=request.POST.get("show_alerts") == "on",
        )
    except PermissionDenied as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Synchronization settings saved.")
    return redirect(_home_url(user, request.user))


@login_required
@require_POST
def outlook_sync(request):
    """Start sync now, or a resync (confirmed on the page: it deletes synced items from Outlook first)."""
    user = _subject(request)
    resync = request.POST.get("resync") == "1"
    try:
        run = sync_request(actor=request.user, user=user, trigger="manual", resync=resync)
    except (PermissionDenied, ValidationError) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        return redirect(_home_url(user, request.user))
    return redirect("outlooksync:run", pk=run.pk)


def _run_for(request, pk: int) -> SyncRun:
    runs = SyncRun.objects.filter(organization_id=request.user.organization_id)
    if not can_configure(request.user):
        runs = runs.filter(user=request.user)
    return get_object_or_404(runs.select_related("user"), pk=pk)


def _run_context(run: SyncRun) -> dict:
    return {
        "run": run,
        "rows": run_rows(run),
        "columns": [what.capitalize() for what in COUNTED],
        "conflicts": (run.counts or {}).get("conflicts", {}),
        "entity_labels": ENTITY_LABELS,
    }


@login_required
@require_GET
def outlook_run(request, pk: int):
    run = _run_for(request, pk)
    return render(request, "outlooksync/run.html", {**_run_context(run), "home_url": _home_url(run.user, request.user)})


@login_required
@require_GET
def outlook_run_fragment(request, pk: int):
    """The run's state and counts: the page polls it until the run has finished."""
    return render(request, "outlooksync/_run.html", _run_context(_run_for(request, pk)))


@login_required
@require_POST
def outlook_preview(request):
    """What a sync would do now, decided by the engine and written nowhere."""
    return _preview_response(request, _subject(request))


def _preview_response(request, user, *, confirm_enable: bool = False, show_alerts: bool = True):
    from outlooksync.runs import MailboxNotConfigured, sync_preview

    summary, problem = None, ""
    try:
        summary = sync_preview(actor=request.user, user=user)
    except MailboxNotConfigured as error:
        problem = str(error)
    except GraphError as error:
        problem = f"Outlook could not be read: {error}"
    rows: dict[tuple[str, str], dict] = {}
    for count in (summary or {}).get("counts", []):
        row = rows.setdefault(
            (count["side"], count["entity"]),
            {"side": SIDE_LABELS[count["side"]], "entity": ENTITY_LABELS[count["entity"]], "actions": {}},
        )
        row["actions"][count["action"]] = count["count"]
    return render(
        request,
        "outlooksync/preview.html",
        {
            "subject": user,
            "summary": summary,
            "rows": list(rows.values()),
            "problem": problem,
            "entity_labels": ENTITY_LABELS,
            "home_url": _home_url(user, request.user),
            "user_query": "" if user.pk == request.user.pk else f"?user={user.pk}",
            "confirm_enable": confirm_enable,
            "show_alerts": show_alerts,
        },
        status=400 if problem else 200,
    )


@login_required
@require_POST
def outlook_alert(request, pk: int, decision: str):
    alerts = SyncAlert.objects.filter(organization_id=request.user.organization_id)
    if not can_configure(request.user):
        alerts = alerts.filter(user=request.user)
    alert = get_object_or_404(alerts.select_related("user"), pk=pk)
    try:
        if decision == "acknowledge":
            alert_acknowledge(actor=request.user, alert=alert)
            messages.success(request, "Alert acknowledged.")
        else:
            held_deletions_decide(actor=request.user, alert=alert, confirm=decision == "confirm")
            messages.success(
                request,
                "Deletions confirmed: the next run applies them."
                if decision == "confirm"
                else "Deletions cancelled: nothing is deleted.",
            )
    except (PermissionDenied, ValidationError) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    return redirect(_home_url(alert.user, request.user))


RECORD_HISTORY = 10
ACTION_WORDS = {
    "create": "created",
    "update": "changed",
    "delete": "deleted",
    "archive": "archived",
    "restore": "restored",
    "link": "linked",
    "unlink": "unlinked",
    "stamp": "stamped",
}


def history_sentence(entry: SyncHistory) -> str:
    """One sync action as a person says it: "Outlook changed the mobile phone and job title"."""
    fields = [field_label(name).lower() for name in entry.fields or []]
    what = ""
    if fields:
        what = " the " + (", ".join(fields[:-1]) + " and " + fields[-1] if len(fields) > 1 else fields[0])
    if entry.action == "conflict":
        winner = "The CRM" if entry.side == "crm" else "Outlook"
        return f"Changed on both sides: {winner} won the conflict on{what}"
    verb = ACTION_WORDS.get(entry.action, entry.action)
    if entry.side == "crm":
        if entry.action in ("link", "unlink"):
            return f"The sync {verb} it with an Outlook item"
        return f"Outlook {verb}{what} in the CRM" if entry.action == "update" else f"The sync {verb} it from Outlook"
    if entry.action == "update":
        return f"The CRM's{what} written to Outlook" if what else "Written to Outlook"
    return f"{verb.capitalize()} in Outlook"


@login_required
@require_GET
def record_sync_history(request, record_type: str, pk: int):
    """The last sync actions on a contact, task or event, for its page (the record's own organization only)."""
    if record_type not in ("contact", "task", "event") or not request.user.organization_id:
        raise Http404("No sync history for this kind of record.")
    entries = list(
        SyncHistory.objects.filter(organization_id=request.user.organization_id, entity=record_type, crm_id=pk)
        .select_related("user")
        .order_by("-created_at", "-id")[:RECORD_HISTORY]
    )
    return render(
        request,
        "outlooksync/_record_history.html",
        {"entries": [{"entry": entry, "sentence": history_sentence(entry)} for entry in entries]},
    )
