"""The Outlook sync's writes: connections, run requests and their dispatch, runs, alerts and held deletions.

Every rule about who may do what lives here; views, the API, the admin and tasks call these.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from collections import defaultdict

from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from backoffice.models import User
from backoffice.org_settings import can_configure
from outlooksync.engine.records import Entity
from outlooksync.models import (
    AlertKind,
    AlertState,
    OutlookConnection,
    PluginRelease,
    RunState,
    RunTrigger,
    SyncAlert,
    SyncHistory,
    SyncRun,
)
from outlooksync.settings_section import outlook_settings

SIDES = ("crm", "outlook")
# Connections claimed per dispatcher round: the rest are due in the next round (a second later).
DISPATCH_BATCH = 1000
HISTORY_KEEP_DAYS = 30


def check_acts_for(actor: User, user: User) -> None:
    """A rep acts for their own mailbox; the organization's admins for any rep of the organization."""
    if actor.pk == user.pk:
        return
    if can_configure(actor) and actor.organization_id == user.organization_id:
        return
    raise PermissionDenied("You can only manage your own Outlook synchronization.")


def connection_get(*, user: User) -> OutlookConnection:
    """The rep's connection, made on first use (sync off until the rep or the plug-in enables it)."""
    if not user.organization_id:
        raise PermissionDenied("The Outlook synchronization is per organization; this user has none.")
    connection, _ = OutlookConnection.objects.get_or_create(
        user=user, defaults={"organization_id": user.organization_id, "mailbox": user.email}
    )
    return connection


@transaction.atomic
def connection_update(
    *,
    actor: User,
    user: User,
    sync_enabled: bool | None = None,
    show_alerts: bool | None = None,
    disabled_by_admin: bool | None = None,
) -> OutlookConnection:
    """Change the plug-in's own settings (Enable Sync, Show Alerts), or an admin's stop of a rep's sync.

    Turning sync on makes both sides due at once.
    """
    check_acts_for(actor, user)
    if disabled_by_admin is not None and not (can_configure(actor) and actor.organization_id == user.organization_id):
        raise PermissionDenied("Only the organization's admins stop or resume a rep's synchronization.")
    connection_get(user=user)
    connection = OutlookConnection.objects.select_for_update().get(user=user)
    now = timezone.now()
    if sync_enabled is not None:
        if sync_enabled and not connection.sync_enabled:
            connection.crm_due_at = connection.outlook_due_at = now
        connection.sync_enabled = sync_enabled
    if show_alerts is not None:
        connection.show_alerts = show_alerts
    if disabled_by_admin is not None:
        connection.disabled_by_admin = disabled_by_admin
    connection.save()
    return connection


def _clean_entities(entities) -> list[str]:
    if entities is None:
        return []
    if not isinstance(entities, list | tuple) or len(entities) > len(Entity):
        raise ValidationError({"entities": f"A list of at most {len(Entity)} of: {', '.join(Entity)}."})
    cleaned = []
    for name in entities:
        if name not in {str(entity) for entity in Entity}:
            raise ValidationError({"entities": f"{name!r} is not one of {', '.join(Entity)}."})
        if name not in cleaned:
            cleaned.append(name)
    return cleaned


def _merged(current: list, more: list) -> list:
    """Requests merge by union; an empty list means "all", which absorbs anything."""
    if not current or not more:
        return []
    return sorted(set(current) | set(more))


def _queue(run: SyncRun) -> None:
    from outlooksync.tasks import sync_run_task

    transaction.on_commit(lambda: sync_run_task.delay(run.pk))


@transaction.atomic
def sync_request(
    *,
    actor: User,
    user: User,
    trigger: str = RunTrigger.MANUAL,
    entities=None,
    sides=None,
    resync: bool = False,
) -> SyncRun:
    """Queue a run for the rep, or merge the request into the run already waiting (one waits at most).

    The connection row is locked first, so requests for one rep are serialized whatever their origin.
    """
    check_acts_for(actor, user)
    entities = _clean_entities(entities)
    sides = list(sides or [])
    connection_get(user=user)
    OutlookConnection.objects.select_for_update().get(user=user)
    waiting = SyncRun.objects.filter(user=user, state=RunState.QUEUED).first()
    if waiting is not None:
        waiting.entities = _merged(waiting.entities, entities)
        waiting.sides = _merged(waiting.sides, sides)
        waiting.resync = waiting.resync or resync
        waiting.triggers += 1
        if resync:
            waiting.trigger = RunTrigger.RESYNC
        waiting.save(update_fields=["entities", "sides", "resync", "triggers", "trigger"])
        return waiting
    run = SyncRun.objects.create(
        organization_id=user.organization_id,
        user=user,
        trigger=RunTrigger.RESYNC if resync else trigger,
        entities=entities,
        sides=sides,
        resync=resync,
        requested_by=actor,
    )
    _queue(run)
    return run


def _due_sides(connection: OutlookConnection, now: dt.datetime) -> list[str]:
    due = []
    if connection.crm_due_at is None or connection.crm_due_at <= now:
        due.append("crm")
    if connection.outlook_due_at is None or connection.outlook_due_at <= now:
        due.append("outlook")
    return due


def sync_dispatch(*, now: dt.datetime | None = None, batch: int = DISPATCH_BATCH) -> int:
    """Queue a run for every rep whose CRM or Outlook side is due, and move their next due times.

    Connections are claimed with SKIP LOCKED, so dispatchers running at once share the reps and none
    queues a rep twice; one settings read per organization, a constant number of statements per batch.
    Returns how many reps were dispatched.
    """
    now = now or timezone.now()
    with transaction.atomic():
        connections = list(
            OutlookConnection.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(sync_enabled=True, disabled_by_admin=False)
            .filter(Q(crm_due_at__lte=now) | Q(outlook_due_at__lte=now) | Q(crm_due_at__isnull=True))
            .order_by("outlook_due_at", "id")[:batch]
        )
        if not connections:
            return 0
        sides_by_user = {connection.user_id: _due_sides(connection, now) for connection in connections}
        # Next due times: one statement per organization (its intervals), whatever the number of reps.
        ids_by_organization: dict[int, list[int]] = defaultdict(list)
        for connection in connections:
            ids_by_organization[connection.organization_id].append(connection.pk)
        for organization_id, ids in ids_by_organization.items():
            values = outlook_settings(organization_id=organization_id)
            due = Q(crm_due_at__isnull=True) | Q(crm_due_at__lte=now)
            OutlookConnection.objects.filter(pk__in=ids).update(
                crm_due_at=Case(
                    When(due, then=Value(now + dt.timedelta(seconds=values["crm_sync_interval"]))),
                    default=F("crm_due_at"),
                ),
                outlook_due_at=Case(
                    When(
                        Q(outlook_due_at__isnull=True) | Q(outlook_due_at__lte=now),
                        then=Value(now + dt.timedelta(seconds=values["outlook_sync_interval"])),
                    ),
                    default=F("outlook_due_at"),
                ),
            )
        waiting = dict(
            SyncRun.objects.filter(user_id__in=sides_by_user, state=RunState.QUEUED).values_list("user_id", "pk")
        )
        if waiting:
            # A waiting run answers this trigger too, and then checks both sides.
            SyncRun.objects.filter(pk__in=list(waiting.values())).update(triggers=F("triggers") + 1)
            SyncRun.objects.filter(pk__in=list(waiting.values())).exclude(sides=[]).update(sides=[])
        organization_of = {connection.user_id: connection.organization_id for connection in connections}
        created = SyncRun.objects.bulk_create(
            [
                SyncRun(
                    organization_id=organization_of[user_id],
                    user_id=user_id,
                    trigger=RunTrigger.SCHEDULE,
                    sides=sides if len(sides) < len(SIDES) else [],
                )
                for user_id, sides in sides_by_user.items()
                if user_id not in waiting
            ]
        )
        # Waiting runs are sent again too: a task lost with a stopped worker must not leave its run waiting
        # for good (a run already taken or finished ignores the repeat).
        run_ids = [run.pk for run in created] + list(waiting.values())

        def queue_all():
            from outlooksync.tasks import sync_run_task

            for run_id in run_ids:
                sync_run_task.delay(run_id)

        transaction.on_commit(queue_all)
    return len(connections)


def sync_run_claim(*, run_id: int) -> SyncRun | None:
    """Move a queued run to running, unless another run of the rep is running (it stays queued: the
    running one requeues it when it ends). None when there is nothing to run."""
    with transaction.atomic():
        run = SyncRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.state != RunState.QUEUED:
            return None
        running = SyncRun.objects.select_for_update().filter(user_id=run.user_id, state=RunState.RUNNING).first()
        if running is not None:
            stale_before = timezone.now() - dt.timedelta(seconds=django_settings.OUTLOOK_RUN_STALE_AFTER)
            if (running.heartbeat_at or running.created_at) >= stale_before:
                return None
            # Its worker stopped (killed, restarted): the run is over; this one carries on from what was
            # committed, and every decision is idempotent.
            running.state = RunState.FAILED
            running.errors = [*running.errors, "The worker running it stopped; the next run carried on."]
            running.finished_at = timezone.now()
            running.save(update_fields=["state", "errors", "finished_at"])
        run.state = RunState.RUNNING
        run.started_at = run.heartbeat_at = timezone.now()
        try:
            with transaction.atomic():
                run.save(update_fields=["state", "started_at", "heartbeat_at"])
        except IntegrityError:
            return None  # another worker claimed a run of this rep at the same moment
        return run


def sync_run_heartbeat(*, run: SyncRun) -> None:
    """Tell other workers the run is alive (a run silent longer than OUTLOOK_RUN_STALE_AFTER is taken over)."""
    SyncRun.objects.filter(pk=run.pk, state=RunState.RUNNING).update(heartbeat_at=timezone.now())


def sync_run_finish(*, run: SyncRun, counts: dict, errors: list[str]) -> SyncRun:
    """Record a run's outcome and queue the run that waited behind it, if any."""
    with transaction.atomic():
        run.counts = counts
        # What Graph or a store answered, bounded: at most 100 messages of at most 1,000 characters.
        run.errors = [str(error)[:1000] for error in errors[:100]]
        run.state = RunState.FAILED if errors else RunState.SUCCEEDED
        run.finished_at = timezone.now()
        run.save(update_fields=["counts", "errors", "state", "finished_at"])
        waiting = SyncRun.objects.filter(user_id=run.user_id, state=RunState.QUEUED).first()
        if waiting is not None:
            _queue(waiting)
    return run


def alert_raise(*, user: User, kind: str, message: str, run: SyncRun | None = None, details=None) -> SyncAlert | None:
    """Raise an alert for the rep; a second hold while one waits is not raised again (the first stands)."""
    try:
        with transaction.atomic():
            return SyncAlert.objects.create(
                organization_id=user.organization_id,
                user=user,
                run=run,
                kind=kind,
                message=message[:500],
                details=details or {},
            )
    except IntegrityError:
        return None


def _decidable(actor: User, alert: SyncAlert) -> SyncAlert:
    if alert.organization_id != actor.organization_id:
        raise PermissionDenied("This alert belongs to another organization.")
    check_acts_for(actor, alert.user)
    return alert


@transaction.atomic
def alert_acknowledge(*, actor: User, alert: SyncAlert) -> SyncAlert:
    """Mark an alert read. A held deletion is decided with confirm or cancel instead."""
    alert = _decidable(actor, SyncAlert.objects.select_for_update().get(pk=alert.pk))
    if alert.kind == AlertKind.DELETIONS_HELD and alert.is_open:
        raise ValidationError("Held deletions wait for a decision: confirm or cancel them.")
    if alert.is_open:
        alert.state = AlertState.ACKNOWLEDGED
        alert.decided_at = timezone.now()
        alert.decided_by = actor
        alert.save(update_fields=["state", "decided_at", "decided_by"])
    return alert


@transaction.atomic
def held_deletions_decide(*, actor: User, alert: SyncAlert, confirm: bool) -> SyncAlert:
    """Confirm (apply) or cancel the deletions a run held; either way a run is queued to carry on."""
    alert = _decidable(actor, SyncAlert.objects.select_for_update().get(pk=alert.pk))
    if alert.kind != AlertKind.DELETIONS_HELD:
        raise ValidationError("Only held deletions are confirmed or cancelled.")
    if not alert.is_open:
        raise ValidationError(f"These deletions were already {alert.get_state_display().lower()}.")
    alert.state = AlertState.CONFIRMED if confirm else AlertState.CANCELLED
    alert.decided_at = timezone.now()
    alert.decided_by = actor
    alert.save(update_fields=["state", "decided_at", "decided_by"])
    sync_request(actor=actor, user=alert.user, trigger=RunTrigger.MANUAL)
    return alert


def held_deletions_decision(*, user: User) -> str:
    """What the next run does with deletions it would hold: the latest decision not yet applied."""
    from outlooksync.engine.run import HeldDeletionsDecision

    latest = (
        SyncAlert.objects.filter(user=user, kind=AlertKind.DELETIONS_HELD, details__applied__isnull=True)
        .exclude(state=AlertState.OPEN)
        .order_by("-decided_at")
        .first()
    )
    if latest is None:
        return HeldDeletionsDecision.PENDING
    return HeldDeletionsDecision.CONFIRMED if latest.state == AlertState.CONFIRMED else HeldDeletionsDecision.CANCELLED


def sync_history_prune(*, now: dt.datetime | None = None) -> int:
    """Forget per-record sync actions older than 30 days, in bounded batches."""
    limit = (now or timezone.now()) - dt.timedelta(days=HISTORY_KEEP_DAYS)
    removed = 0
    while True:
        ids = list(SyncHistory.objects.filter(created_at__lt=limit).values_list("pk", flat=True)[:5000])
        if not ids:
            return removed
        removed += SyncHistory.objects.filter(pk__in=ids).delete()[0]


def counts_as_json(counts) -> dict:
    """{side: {entity: {what: n}}} from the engine's Counter keyed by (side, entity, what)."""
    tree: dict = defaultdict(lambda: defaultdict(dict))
    for (side, entity, what), number in counts.items():
        if number:
            tree[str(side)][str(entity)][what] = number
    return {side: dict(entities) for side, entities in tree.items()}


PLUGIN_MAX_BYTES = 64 * 1024 * 1024
PLUGIN_EXTENSIONS = (".msi", ".exe", ".zip", ".vsto")
_VERSION = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.+_-]{0,39}$")
_FILE_NAME = re.compile(r"^[0-9A-Za-z][0-9A-Za-z ._()+-]{0,199}$")


def plugin_upload(*, actor: User, uploaded, version: str) -> PluginRelease:
    """Keep an Outlook plug-in installer for the organization (admins); the newest is the one offered."""
    if not can_configure(actor) or not actor.organization_id:
        raise PermissionDenied("Only the organization's admins upload the Outlook plug-in.")
    errors: dict[str, str] = {}
    version = (version or "").strip()
    if not _VERSION.match(version):
        errors["version"] = "A version is 1 to 40 letters, digits, dots, dashes or pluses, such as 2.4.1."
    name = os.path.basename(getattr(uploaded, "name", "") or "")
    if not _FILE_NAME.match(name) or not name.lower().endswith(PLUGIN_EXTENSIONS):
        errors["file"] = f"Upload the installer: a {', '.join(PLUGIN_EXTENSIONS)} file with a plain name."
    elif not 0 < (uploaded.size or 0) <= PLUGIN_MAX_BYTES:
        errors["file"] = f"The installer must hold 1 byte to {PLUGIN_MAX_BYTES // (1024 * 1024)} MB."
    if errors:
        raise ValidationError(errors)
    digest = hashlib.sha256()
    chunks = []
    for chunk in uploaded.chunks():
        digest.update(chunk)
        chunks.append(chunk)
    return PluginRelease.objects.create(
        organization_id=actor.organization_id,
        version=version,
        file_name=name,
        size=uploaded.size,
        sha256=digest.hexdigest(),
        content=b"".join(chunks),
        uploaded_by=actor,
    )


def plugin_latest(*, organization_id: int) -> PluginRelease | None:
    """The installer offered to the organization's reps (without its bytes)."""
    return (
        PluginRelease.objects.filter(organization_id=organization_id)
        .defer("content")
        .order_by("-uploaded_at", "-id")
        .first()
    )
