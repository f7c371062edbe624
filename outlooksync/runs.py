"""Running one rep's sync: the engine between the CRM store and the rep's mailbox through Microsoft Graph.

A run reads the organization's effective settings, builds both stores, lets the engine plan and apply,
then keeps what the next run needs (cursors, delta links, the token cache), the record histories, the
alerts and the counts. A side that is not due (its interval has not passed) is not read this time.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any

from django.db import transaction
from django.utils import timezone

from backoffice.secrets import SecretUnreadable, secret_decrypt, secret_encrypt
from outlooksync.engine.records import Entity
from outlooksync.engine.run import HeldDeletionsDecision, preview, synchronize
from outlooksync.engine.settings import SyncSettings
from outlooksync.engine.stores import CrmChanges, OutlookChanges
from outlooksync.graph.client import GraphClient
from outlooksync.graph.config import graph_endpoints
from outlooksync.graph.errors import GraphError
from outlooksync.models import AlertKind, AlertState, OutlookConnection, SyncAlert, SyncHistory, SyncLink, SyncRun
from outlooksync.services import (
    alert_raise,
    check_acts_for,
    connection_get,
    counts_as_json,
    held_deletions_decision,
    sync_run_claim,
    sync_run_finish,
    sync_run_heartbeat,
)
from outlooksync.settings_section import engine_settings, outlook_settings
from outlooksync.stores.crm import DjangoCrmStore
from outlooksync.stores.outlook import GraphOutlookStore, calendar_window

logger = logging.getLogger(__name__)

ALERT_KINDS = {"mass_deletion_held": AlertKind.DELETIONS_HELD, "archived": AlertKind.ARCHIVED}


class SideNotDue:
    """A store whose changes are not read in this run (its interval has not passed): full listings and
    every other call go through; a change round answers nothing and keeps its cursor."""

    def __init__(self, store, empty):
        self._store = store
        self._empty = empty

    def read_changes(self, entity: Entity, *, full: bool):
        if full:
            return self._store.read_changes(entity, full=True)
        return self._empty

    def commit_cursor(self, entity: Entity, cursor: Any) -> None:
        if cursor is not None:
            self._store.commit_cursor(entity, cursor)

    def __getattr__(self, name):
        return getattr(self._store, name)


class Heartbeat:
    """The CRM store, telling other workers the run is alive at most every HEARTBEAT_EVERY seconds of steps."""

    HEARTBEAT_EVERY = 5.0

    def __init__(self, store, run: SyncRun):
        self._store = store
        self._run = run
        self._last = time.monotonic()

    def unit_of_work(self):
        if time.monotonic() - self._last >= self.HEARTBEAT_EVERY:
            sync_run_heartbeat(run=self._run)
            self._last = time.monotonic()
        return self._store.unit_of_work()

    def __getattr__(self, name):
        return getattr(self._store, name)


class MailboxNotConfigured(Exception):
    """The organization has not registered its Microsoft Graph app, or the rep has no mailbox."""


def graph_client_for(connection: OutlookConnection, values: dict, settings: SyncSettings) -> GraphClient:
    """A Graph client for the rep's mailbox with the organization's app registration."""
    missing = [
        label
        for key, label in (
            ("graph_tenant_id", "tenant id"),
            ("graph_client_id", "client id"),
            ("graph_client_secret", "client secret"),
        )
        if not values[key]
    ]
    if missing:
        raise MailboxNotConfigured(
            f"The Microsoft Graph app registration is incomplete on the MS Outlook settings: {', '.join(missing)} "
            "missing. An organization admin sets it on the Configuration page."
        )
    if not connection.mailbox:
        raise MailboxNotConfigured(f"{connection.user} has no mailbox: give the user an e-mail address.")
    token_cache = None
    if connection.token_cache:
        try:
            token_cache = secret_decrypt(connection.token_cache)
        except SecretUnreadable:
            token_cache = None  # a new token is asked for
    endpoints = graph_endpoints()
    return GraphClient.connect(
        base_url=endpoints.base_url,
        authority=endpoints.authority,
        tenant_id=values["graph_tenant_id"],
        client_id=values["graph_client_id"],
        client_secret=values["graph_client_secret"],
        mailbox=connection.mailbox,
        ca_bundle=endpoints.ca_bundle,
        token_cache=token_cache,
        time_zone=settings.time_zone,
        # A first round of contacts or tasks reads the collection in pages of 1,000 rather than 20 at a time.
        list_first_rounds=True,
        # Known from an earlier run: the "CRM tasks" list is not looked up again.
        task_list_id=((connection.state or {}).get("graph") or {}).get("task_list_id"),
    )


def _history_rows(run: SyncRun, report) -> list[SyncHistory]:
    return [
        SyncHistory(
            organization_id=run.organization_id,
            user_id=run.user_id,
            run=run,
            entity=str(entry.entity),
            crm_id=int(entry.crm_id) if entry.crm_id and str(entry.crm_id).isdigit() else None,
            outlook_id=(entry.outlook_id or "")[:512],
            side=str(entry.side),
            action=entry.action[:20],
            fields=list(entry.changed_fields),
            note=(entry.note or "")[:300],
        )
        for entry in report.history
    ]


def _stores(*, user, settings: SyncSettings, state: dict, client: GraphClient, now: dt.datetime, read_only=False):
    """The CRM store and the Graph store of one rep, keeping their state in `state` (the connection's)."""
    crm = DjangoCrmStore(user=user, settings=settings, state=state.setdefault("crm", {}), now=now)
    window = calendar_window(settings, now) if settings.entities[Entity.EVENT].enabled else None
    outlook = GraphOutlookStore(
        client,
        state=state.get("graph"),
        window=window,
        read_only=read_only,
        known_change_keys=lambda entity: dict(
            SyncLink.objects.filter(user=user, entity=str(entity)).values_list("outlook_id", "change_key")
        ),
    )
    return crm, outlook


def sync_preview(*, actor, user, now: dt.datetime | None = None) -> dict:
    """What a run would do now, decided by the engine and written nowhere: counts per side, entity and
    action, matches by key, ambiguous matches by name, conflicts and deletions the guard would hold."""
    check_acts_for(actor, user)
    connection = connection_get(user=user)
    values = outlook_settings(organization_id=user.organization_id)
    settings = engine_settings(values, time_zone=user.time_zone)
    state: dict = dict(connection.state or {})
    client = graph_client_for(connection, values, settings)
    try:
        crm, outlook = _stores(
            user=user, settings=settings, state=state, client=client, now=now or timezone.now(), read_only=True
        )
        return preview(settings=settings, crm=crm, outlook=outlook).as_dict()
    finally:
        client.close()


def sync_run_execute(*, run_id: int, now: dt.datetime | None = None) -> SyncRun | None:
    """Run a queued run to its end (nothing when it is not queued or another run of the rep is running)."""
    run = sync_run_claim(run_id=run_id)
    if run is None:
        return None
    user = run.user
    connection = connection_get(user=user)
    values = outlook_settings(organization_id=user.organization_id)
    settings = engine_settings(values, time_zone=user.time_zone)
    state: dict = dict(connection.state or {})
    decision = held_deletions_decision(user=user)
    errors: list[str] = []
    report = None
    client = None
    now = now or timezone.now()
    try:
        client = graph_client_for(connection, values, settings)
        crm, outlook = _stores(user=user, settings=settings, state=state, client=client, now=now)
        sides = set(run.sides or ["crm", "outlook"])
        crm = Heartbeat(crm, run)
        crm_side = crm if "crm" in sides or run.resync else SideNotDue(crm, CrmChanges())
        outlook_side = outlook if "outlook" in sides or run.resync else SideNotDue(outlook, OutlookChanges())
        entities = [Entity(name) for name in run.entities] or None
        report = synchronize(
            settings=settings,
            crm=crm_side,
            outlook=outlook_side,
            entities=entities,
            resync=run.resync,
            held_deletions=HeldDeletionsDecision(decision),
        )
        state["graph"] = outlook.state.to_dict()
        errors = list(report.errors)
        if not errors and not report.held_deletions:
            synced = state.setdefault("synced_at", {})
            for entity in entities or settings.enabled_entities:
                sides_synced = synced.setdefault(str(entity), {})
                for side in sides if not run.resync else ("crm", "outlook"):
                    sides_synced[side] = now.isoformat()
    except (GraphError, MailboxNotConfigured) as error:
        errors = [str(error)]
    except Exception as error:  # the run is recorded as failed; the worker carries on with other reps
        logger.exception("Outlook sync run %s failed", run.pk)
        errors = [f"Unexpected error: {type(error).__name__}: {error}"]
    finally:
        token_cache = client.token_cache_dump() if client is not None else None
        if client is not None:
            client.close()
    with transaction.atomic():
        connection = OutlookConnection.objects.select_for_update().get(pk=connection.pk)
        connection.state = state
        if token_cache:
            connection.token_cache = secret_encrypt(token_cache)
        connection.save(update_fields=["state", "token_cache", "updated_at"])
        if report is not None:
            SyncHistory.objects.bulk_create(_history_rows(run, report), batch_size=1000)
            for alert in report.alerts:
                alert_raise(
                    user=user,
                    kind=ALERT_KINDS.get(
                        alert.kind, AlertKind.REASSIGNED if alert.kind == "reassigned" else AlertKind.AMBIGUOUS
                    ),
                    message=alert.message,
                    run=run,
                    details={"entity": str(alert.entity), "crm_id": alert.crm_id, "outlook_id": alert.outlook_id},
                )
            if decision != HeldDeletionsDecision.PENDING and not errors:
                SyncAlert.objects.filter(
                    user=user, kind=AlertKind.DELETIONS_HELD, details__applied__isnull=True
                ).exclude(state=AlertState.OPEN).update(details={"applied": True})
    counts = counts_as_json(report.counts) if report is not None else {}
    if report is not None:
        counts["conflicts"] = {str(entity): number for entity, number in report.conflicts.items() if number}
    if errors:
        alert_raise(user=user, kind=AlertKind.FAILED, message=f"Synchronization failed: {errors[0]}", run=run)
    return sync_run_finish(run=run, counts=counts, errors=errors)
