"""Occurrences of a series: cancelling them (Outlook deletes the occurrence) and moving or changing them
(Outlook makes the occurrence an exception of its series), found by their original start."""

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from outlooksync.graph import mapping
from outlooksync.graph.batch import BatchRequest, BatchResult, run_batch
from outlooksync.graph.errors import GraphNotFound
from outlooksync.graph.mapping import as_instant
from outlooksync.graph.records import Create, Delete, Entity, Update, WriteResult
from outlooksync.graph.transport import collection_values


class SeriesOccurrences:
    """The occurrence writes of GraphClient, which mixes this class in (it uses the client's transport,
    paths and reads)."""

    def cancel_occurrences(self, cancellations: Mapping[str, Iterable[str | dt.datetime]]) -> dict[str, list[str]]:
        """Cancel occurrences of series (series id -> original start instants) by deleting them, as Outlook does.

        Returns, per series, the starts (UTC ISO) of the occurrences deleted; a start with no occurrence
        (already cancelled, or not an occurrence of the series) is left out. Outlook cannot restore a
        cancelled occurrence, so nothing here un-cancels one.
        """
        wanted = [(series_id, as_instant(start)) for series_id, starts in cancellations.items() for start in starts]
        found = self._occurrence_ids([(series_id, start) for series_id, start in wanted if start is not None], {})
        requests = [
            BatchRequest(str(index), "DELETE", self._item_path(Entity.EVENTS, occurrence_id))
            for index, occurrence_id in enumerate(found.values())
        ]
        done: dict[str, list[str]] = {series_id: [] for series_id in cancellations}
        for (series_id, start), result in zip(
            found, self._checked(run_batch(self.transport, requests), requests), strict=True
        ):
            if result.ok or isinstance(result.error, GraphNotFound):
                done[series_id].append(start.isoformat())
        return done

    def update_occurrences(self, changes: Mapping[str, Sequence[Mapping[str, Any]]]) -> None:
        """Move or change occurrences of series (series id -> exceptions, each with its `original_start` and
        any of `EXCEPTION_FIELDS`); each becomes an exception of its series in Outlook."""
        self._write_occurrences({}, changes, {})

    def _occurrence_ids(
        self, wanted: Sequence[tuple[str, dt.datetime]], known: Mapping[tuple[str, dt.datetime], str]
    ) -> dict[tuple[str, dt.datetime], str]:
        """Ids of occurrences, by (series id, original start): known exception ids, else the series' instance
        starting then (an occurrence not moved yet starts at its original start)."""
        found = {key: known[key] for key in wanted if key in known}
        lookups: list[BatchRequest] = []
        for series_id, start in wanted:
            if (series_id, start) in found:
                continue
            low = (start - dt.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
            high = (start + dt.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
            url = (
                f"{self._item_path(Entity.EVENTS, series_id)}/instances?startDateTime={low}&endDateTime={high}"
                "&$select=id,type,originalStart,start"
            )
            lookups.append(BatchRequest(str(len(lookups)), "GET", url))
        pending = [key for key in wanted if key not in found]
        results = run_batch(self.transport, lookups)
        for request, key in zip(lookups, pending, strict=True):
            result = results[request.id]
            if isinstance(result.error, GraphNotFound):
                continue
            if result.error is not None:
                raise result.error
            for occurrence in collection_values(result.body):
                original = mapping.instant_from_text(occurrence.get("originalStart"))
                if occurrence.get("type") in ("occurrence", "exception") and original == key[1]:
                    found[key] = str(occurrence["id"])[:512]
        return found

    def _write_occurrences(
        self,
        cancellations: Mapping[str, Iterable[dt.datetime]],
        exceptions: Mapping[str, Sequence[Mapping[str, Any]]],
        known: Mapping[tuple[str, dt.datetime], str],
        series_fields: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        """Delete the cancelled occurrences and patch the changed ones, in $batch requests."""
        cancel_keys = [(series_id, start) for series_id, starts in cancellations.items() for start in starts]
        patches: list[tuple[tuple[str, dt.datetime], dict[str, Any]]] = []
        for series_id, changed in exceptions.items():
            series = (series_fields or {}).get(series_id, {})
            for exception in changed:
                original = as_instant(exception.get("original_start"))
                if original is None:
                    continue
                values = {k: exception[k] for k in mapping.EXCEPTION_FIELDS if k in exception}
                for name in ("start", "end"):
                    if name in values and not isinstance(values[name], dt.datetime):
                        values[name] = as_instant(values[name])
                values.update({k: series[k] for k in ("all_day", "time_zone") if k in series})
                body = mapping.event_to_graph(values, default_time_zone=self.time_zone)
                body.pop("recurrence", None)
                patches.append(((series_id, original), body))
        ids = self._occurrence_ids(list(dict.fromkeys([*cancel_keys, *(key for key, _ in patches)])), known)
        requests = [
            BatchRequest(f"c{index}", "DELETE", self._item_path(Entity.EVENTS, ids[key]))
            for index, key in enumerate(cancel_keys)
            if key in ids
        ]
        requests += [
            BatchRequest(f"p{index}", "PATCH", self._item_path(Entity.EVENTS, ids[key]), body=body)
            for index, (key, body) in enumerate(patches)
            if key in ids
        ]
        self._checked(run_batch(self.transport, requests), requests)

    def _checked(self, results: Mapping[str, BatchResult], requests: Sequence[BatchRequest]) -> list[BatchResult]:
        """The results in request order; an error other than 404 (already gone) is raised."""
        ordered = [results[request.id] for request in requests]
        for result in ordered:
            if result.error is not None and not isinstance(result.error, GraphNotFound):
                raise result.error
        return ordered

    def _apply_occurrence_changes(
        self, keys: dict[str, Create | Update | Delete], outcome: dict[str, WriteResult]
    ) -> None:
        """After writing series, cancel the occurrences their cancelled_starts list and Outlook still shows,
        and write the exceptions that differ from Outlook's; the series are then read again."""
        cancellations: dict[str, list[dt.datetime]] = {}
        exceptions: dict[str, list[Mapping[str, Any]]] = {}
        known: dict[tuple[str, dt.datetime], str] = {}
        series_fields: dict[str, Mapping[str, Any]] = {}
        key_of: dict[str, str] = {}
        for operation in keys.values():
            result = outcome[operation.key]
            if isinstance(operation, Delete) or result.item is None or not result.item.fields.get("recurrence_rule"):
                continue
            item = result.item
            have = {as_instant(v) for v in item.fields.get("cancelled_starts") or []}
            missing = [
                as_instant(v) for v in operation.fields.get("cancelled_starts") or [] if as_instant(v) not in have
            ]
            current = {_exception_key(e) for e in item.fields.get("exceptions") or []}
            changed = [e for e in operation.fields.get("exceptions") or [] if _exception_key(e) not in current]
            if missing:
                cancellations[item.id] = [m for m in missing if m is not None]
            if changed:
                exceptions[item.id] = changed
            if missing or changed:
                key_of[item.id] = operation.key
                series_fields[item.id] = item.fields
                known.update({(item.id, start): oid for start, oid in item.occurrence_ids.items()})
        if not key_of:
            return
        self._write_occurrences(cancellations, exceptions, known, series_fields)
        for item_id, item in self.get_items(Entity.EVENTS, list(key_of)).items():
            outcome[key_of[item_id]] = WriteResult(key_of[item_id], item=item)


def _exception_key(exception: Mapping[str, Any]) -> tuple:
    """An exception's values in comparable form (instants as UTC datetimes, text trimmed)."""
    return tuple(
        as_instant(exception.get(name))
        if name in ("original_start", "start", "end")
        else str(exception.get(name) or "").strip()
        for name in ("original_start", *mapping.EXCEPTION_FIELDS)
    )
