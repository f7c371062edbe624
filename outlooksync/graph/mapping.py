"""Graph JSON <-> the CRM's field names (plain dicts), for contacts, To Do tasks and events.

`*_to_graph` turns only the fields present in the mapping into Graph properties, so that an update
sends what changed and nothing else. `*_from_graph` returns every mapped field. Instants on the CRM
side are aware datetimes in UTC; dates are `datetime.date`.
"""

import datetime as dt
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from outlooksync.graph.recurrence import cancelled_starts_from_graph, graph_to_rrule, rrule_to_graph
from outlooksync.graph.timezones import iana_to_windows, windows_to_iana

# The CRM id stamped on contacts and events: a named String property in the product's own namespace.
CRM_ID_PROPERTY = "String {3c5e1f0a-7b2d-4e8a-9c41-6d2f8b0a5e17} Name BackOfficeCrmId"
# MAPI PidTagGender: 0 unspecified, 1 female, 2 male.
GENDER_PROPERTY = "Integer 0x3A4D"
TASK_LINK_APPLICATION = "Back office CRM"

GENDER_TO_MAPI = {"unspecified": "0", "female": "1", "male": "2"}
MAPI_TO_GENDER = {value: key for key, value in GENDER_TO_MAPI.items()}
TASK_STATUS_TO_GRAPH = {
    "not_started": "notStarted",
    "in_progress": "inProgress",
    "completed": "completed",
    "waiting": "waitingOnOthers",
    "deferred": "deferred",
}
GRAPH_TO_TASK_STATUS = {value.lower(): key for key, value in TASK_STATUS_TO_GRAPH.items()}
PRIORITY_TO_IMPORTANCE = {"low": "low", "normal": "normal", "high": "high"}
ADDRESS_SLOTS = (("business", "businessAddress"), ("home", "homeAddress"), ("other", "otherAddress"))
ADDRESS_LABELS = {"businessAddress": "Business", "homeAddress": "Home", "otherAddress": "Other"}
MAX_EMAILS = 3
MAX_BUSINESS_PHONES = 2
MAX_HOME_PHONES = 2
MAX_TEXT = 32_000
PHONE_PRECEDENCE = ("business", "mobile", "home")
MAX_EXCEPTIONS = 500
# What a moved or changed occurrence of a series may differ in; `original_start` says which occurrence it is.
EXCEPTION_FIELDS = ("title", "description", "location", "start", "end")

CONTACT_SELECT = (
    "id,changeKey,lastModifiedDateTime,title,givenName,middleName,surname,birthday,jobTitle,companyName,"
    "personalNotes,emailAddresses,businessPhones,homePhones,mobilePhone,homeAddress,businessAddress,otherAddress"
)
TASK_SELECT = (
    "id,lastModifiedDateTime,title,body,status,importance,isReminderOn,reminderDateTime,"
    "dueDateTime,startDateTime,completedDateTime"
)
EVENT_SELECT = (
    "id,changeKey,lastModifiedDateTime,subject,body,location,start,end,isAllDay,recurrence,type,seriesMasterId,"
    "originalStart,originalStartTimeZone,originalEndTimeZone,cancelledOccurrences,transactionId"
)


def expand_properties(*ids: str) -> str:
    """The $expand value that returns the given single-value extended properties."""
    return "singleValueExtendedProperties($filter=" + " or ".join(f"id eq '{i}'" for i in ids) + ")"


def stamp_filter(crm_id: str) -> str:
    """The $filter finding items stamped with `crm_id`."""
    value = crm_id.replace("'", "''")
    return f"singleValueExtendedProperties/Any(ep: ep/id eq '{CRM_ID_PROPERTY}' and ep/value eq '{value}')"


def stamped_filter() -> str:
    """The $filter finding every item that carries a stamp, whatever its CRM id (Graph: "to get resource
    instances that have certain extended properties, apply an eq operator on the id property")."""
    return f"singleValueExtendedProperties/Any(ep: ep/id eq '{CRM_ID_PROPERTY}')"


def extended_properties(item: Mapping[str, Any]) -> dict[str, str]:
    """The item's single-value extended properties by lower-cased id."""
    found = {}
    for prop in _list(item.get("singleValueExtendedProperties"), 50):
        if isinstance(prop, dict) and isinstance(prop.get("id"), str):
            found[prop["id"].lower()] = str(prop.get("value") or "")[:1000]
    return found


def crm_id_of(item: Mapping[str, Any]) -> str | None:
    """The CRM id stamped on a contact or event (extended property) or a task (linked resource)."""
    stamp = extended_properties(item).get(CRM_ID_PROPERTY.lower())
    if stamp:
        return stamp
    for link in _list(item.get("linkedResources"), 50):
        if isinstance(link, dict) and link.get("applicationName") == TASK_LINK_APPLICATION and link.get("externalId"):
            return str(link["externalId"])[:200]
    return None


def _list(value: Any, limit: int) -> list[Any]:
    """At most `limit` entries of a list Graph answered; anything that is not a list is no entries."""
    return value[:limit] if isinstance(value, list) else []


def _text(value: Any, limit: int = 255) -> str:
    return str(value or "").strip()[:limit]


# Contacts


def contact_to_graph(fields: Mapping[str, Any], *, crm_id: str | None = None) -> dict[str, Any]:
    """Graph contact properties for the CRM contact fields present in `fields` (and the CRM id stamp)."""
    body: dict[str, Any] = {}
    simple = {
        "name_prefix": "title",
        "first_name": "givenName",
        "middle_name": "middleName",
        "last_name": "surname",
        "job_title": "jobTitle",
        "company_name": "companyName",
        "description": "personalNotes",
    }
    for name, prop in simple.items():
        if name in fields:
            body[prop] = fields[name] or ""
    if "birthday" in fields:
        birthday = fields["birthday"]
        body["birthday"] = f"{birthday.isoformat()}T00:00:00Z" if birthday else None
    if "emails" in fields:
        emails = sorted(fields["emails"] or [], key=lambda e: not e.get("is_primary"))
        body["emailAddresses"] = [{"address": e["email"], "name": e["email"]} for e in emails[:MAX_EMAILS]]
    if "phones" in fields:
        phones = sorted(fields["phones"] or [], key=lambda p: not p.get("is_primary"))
        by_type: dict[str, list[str]] = {"business": [], "home": [], "mobile": []}
        for phone in phones:
            by_type.setdefault(phone.get("phone_type") or "business", []).append(str(phone["number"]))
        body["businessPhones"] = by_type["business"][:MAX_BUSINESS_PHONES]
        body["homePhones"] = by_type["home"][:MAX_HOME_PHONES]
        body["mobilePhone"] = by_type["mobile"][0] if by_type["mobile"] else None
    if "addresses" in fields:
        body.update(_addresses_to_graph(fields["addresses"] or []))
    properties = []
    if "gender" in fields:
        properties.append({"id": GENDER_PROPERTY, "value": GENDER_TO_MAPI.get(fields["gender"] or "unspecified", "0")})
    if crm_id is not None:
        properties.append({"id": CRM_ID_PROPERTY, "value": str(crm_id)})
    if properties:
        body["singleValueExtendedProperties"] = properties
    return body


def _addresses_to_graph(addresses: list[Mapping[str, Any]]) -> dict[str, Any]:
    """Up to three addresses in Outlook's business, home and other slots, by label, the rest in free slots."""
    slots: dict[str, Mapping[str, Any]] = {}
    unplaced = []
    for address in addresses:
        label = _text(address.get("label")).lower()
        slot = next((prop for name, prop in ADDRESS_SLOTS if label == name), None)
        if slot is None and label in ("work", "office"):
            slot = "businessAddress"
        if slot and slot not in slots:
            slots[slot] = address
        else:
            unplaced.append(address)
    for address in unplaced:
        free = next((prop for _, prop in ADDRESS_SLOTS if prop not in slots), None)
        if free is None:
            break
        slots[free] = address
    body: dict[str, Any] = {}
    for _, prop in ADDRESS_SLOTS:
        address = slots.get(prop)
        body[prop] = (
            {
                "street": address.get("street") or "",
                "city": address.get("city") or "",
                "state": address.get("region") or "",
                "postalCode": address.get("postal_code") or "",
                "countryOrRegion": address.get("country") or "",
            }
            if address
            else {}
        )
    return body


def contact_from_graph(item: Mapping[str, Any]) -> dict[str, Any]:
    """The CRM contact fields of a Graph contact.

    Outlook has no primary phone: the first business phone is read as primary, else the mobile, else
    the first home phone (the CRM's primary is sent first within its kind).
    """
    props = extended_properties(item)
    birthday = None
    if item.get("birthday"):
        try:
            birthday = dt.date.fromisoformat(str(item["birthday"])[:10])
        except ValueError:
            birthday = None
    emails = []
    for entry in _list(item.get("emailAddresses"), MAX_EMAILS):
        address = _text(entry.get("address") if isinstance(entry, dict) else "", 254)
        if address:
            emails.append({"email": address, "is_primary": not emails})
    numbers = {
        "business": [_text(n, 50) for n in _list(item.get("businessPhones"), MAX_BUSINESS_PHONES) if n],
        "mobile": [_text(item.get("mobilePhone"), 50)] if item.get("mobilePhone") else [],
        "home": [_text(n, 50) for n in _list(item.get("homePhones"), MAX_HOME_PHONES) if n],
    }
    phones = []
    for phone_type in PHONE_PRECEDENCE:
        for number in numbers[phone_type]:
            phones.append({"number": number, "phone_type": phone_type, "is_primary": not phones})
    addresses = []
    for _, prop in ADDRESS_SLOTS:
        address = item.get(prop) or {}
        if not isinstance(address, dict) or not any(
            address.get(k) for k in ("street", "city", "state", "postalCode", "countryOrRegion")
        ):
            continue
        addresses.append(
            {
                "label": ADDRESS_LABELS[prop],
                "street": _text(address.get("street")),
                "city": _text(address.get("city"), 100),
                "region": _text(address.get("state"), 100),
                "postal_code": _text(address.get("postalCode"), 20),
                "country": _text(address.get("countryOrRegion"), 100),
            }
        )
    return {
        "name_prefix": _text(item.get("title"), 20),
        "first_name": _text(item.get("givenName"), 100),
        "middle_name": _text(item.get("middleName"), 100),
        "last_name": _text(item.get("surname"), 100),
        "gender": MAPI_TO_GENDER.get(props.get(GENDER_PROPERTY.lower(), "0"), "unspecified"),
        "birthday": birthday,
        "job_title": _text(item.get("jobTitle"), 150),
        "company_name": _text(item.get("companyName")),
        "description": str(item.get("personalNotes") or "")[:MAX_TEXT],
        "emails": emails,
        "phones": phones,
        "addresses": addresses,
    }


# Date-times


def to_graph_datetime(value: dt.datetime | None, time_zone: str = "UTC") -> dict[str, str] | None:
    """Graph's dateTimeTimeZone for an aware instant, on the wall clock of IANA `time_zone`."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime")
    local = value.astimezone(ZoneInfo(time_zone)).replace(tzinfo=None)
    return {"dateTime": local.isoformat(timespec="microseconds") + "0", "timeZone": iana_to_windows(time_zone)}


def from_graph_datetime(value: Any) -> dt.datetime | None:
    """An aware UTC instant from Graph's dateTimeTimeZone (a Windows or IANA zone, UTC when absent)."""
    if not isinstance(value, dict) or not value.get("dateTime"):
        return None
    text = str(value["dateTime"])[:40]
    head, _, fraction = text.partition(".")
    try:
        local = dt.datetime.fromisoformat(head)
    except ValueError:
        return None
    if fraction[:6].isdigit():
        local = local.replace(microsecond=int(fraction[:6].ljust(6, "0")))
    if local.tzinfo is None:
        try:
            zone = ZoneInfo(windows_to_iana(str(value.get("timeZone") or "UTC")))
        except ValueError:
            zone = dt.UTC
        local = local.replace(tzinfo=zone)
    return local.astimezone(dt.UTC)


def as_instant(value: Any) -> dt.datetime | None:
    """An aware UTC instant from an aware datetime or DateTimeOffset text; None for anything else."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC) if value.tzinfo else None
    return instant_from_text(value)


def instant_from_text(value: Any) -> dt.datetime | None:
    """An aware UTC instant from Graph's DateTimeOffset text, or None."""
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(str(value)[:40].replace("Z", "+00:00"))
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)


# Tasks


def task_to_graph(
    fields: Mapping[str, Any], *, crm_id: str | None = None, crm_url: str = "", time_zone: str = "UTC"
) -> dict[str, Any]:
    """Graph todoTask properties for the CRM task fields present in `fields` (and the CRM id link).

    Times are sent on the wall clock of the rep's `time_zone`, so that To Do shows the dates the rep means.
    """
    body: dict[str, Any] = {}
    if "subject" in fields:
        body["title"] = fields["subject"] or ""
    if "description" in fields:
        body["body"] = {"contentType": "text", "content": fields["description"] or ""}
    for name, prop in (("start_at", "startDateTime"), ("due_at", "dueDateTime"), ("completed_at", "completedDateTime")):
        if name in fields:
            body[prop] = to_graph_datetime(fields[name], time_zone)
    if "status" in fields:
        body["status"] = TASK_STATUS_TO_GRAPH.get(fields["status"] or "not_started", "notStarted")
    if "priority" in fields:
        body["importance"] = PRIORITY_TO_IMPORTANCE.get(fields["priority"] or "normal", "normal")
    if "reminder_at" in fields:
        body["isReminderOn"] = fields["reminder_at"] is not None
        body["reminderDateTime"] = to_graph_datetime(fields["reminder_at"], time_zone)
    if crm_id is not None:
        link = {"applicationName": TASK_LINK_APPLICATION, "externalId": str(crm_id), "displayName": "CRM task"}
        if crm_url:
            link["webUrl"] = crm_url
        body["linkedResources"] = [link]
    return body


def task_from_graph(item: Mapping[str, Any]) -> dict[str, Any]:
    """The CRM task fields of a Graph todoTask."""
    body = item.get("body") if isinstance(item.get("body"), dict) else {}
    return {
        "subject": _text(item.get("title")),
        "description": str(body.get("content") or "")[:MAX_TEXT],
        "start_at": from_graph_datetime(item.get("startDateTime")),
        "due_at": from_graph_datetime(item.get("dueDateTime")),
        "status": GRAPH_TO_TASK_STATUS.get(str(item.get("status") or "").lower(), "not_started"),
        "priority": str(item.get("importance") or "normal").lower()
        if str(item.get("importance") or "").lower() in PRIORITY_TO_IMPORTANCE
        else "normal",
        "reminder_at": from_graph_datetime(item.get("reminderDateTime")) if item.get("isReminderOn") else None,
        "completed_at": from_graph_datetime(item.get("completedDateTime")),
    }


# Events


def _midnight(value: dt.datetime, zone: ZoneInfo, *, round_up: bool) -> dt.datetime:
    local = value.astimezone(zone)
    day = local.date()
    if round_up and local.replace(tzinfo=None) != dt.datetime.combine(day, dt.time()):
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time())


def event_to_graph(
    fields: Mapping[str, Any], *, crm_id: str | None = None, default_time_zone: str = "UTC"
) -> dict[str, Any]:
    """Graph event properties for the CRM event fields present in `fields`.

    Start, end, all-day, time zone and recurrence go together (any of them sends all that are given).
    All-day events are sent from midnight to midnight in the event's zone, as Outlook requires.
    """
    body: dict[str, Any] = {}
    if "title" in fields:
        body["subject"] = fields["title"] or ""
    if "description" in fields:
        body["body"] = {"contentType": "text", "content": fields["description"] or ""}
    if "location" in fields:
        body["location"] = {"displayName": fields["location"] or ""}
    time_zone = fields.get("time_zone") or default_time_zone
    windows_zone = iana_to_windows(time_zone)
    zone = ZoneInfo(time_zone)
    all_day = bool(fields.get("all_day"))
    if "start" in fields or "end" in fields or "all_day" in fields:
        body["isAllDay"] = all_day
        for name in ("start", "end"):
            value = fields.get(name)
            if value is None:
                continue
            if all_day:
                local = _midnight(value, zone, round_up=name == "end")
                if name == "end" and "start" in fields and local <= _midnight(fields["start"], zone, round_up=False):
                    local = _midnight(fields["start"], zone, round_up=False) + dt.timedelta(days=1)
                body[name] = {"dateTime": local.isoformat(timespec="microseconds") + "0", "timeZone": windows_zone}
            else:
                body[name] = to_graph_datetime(value, time_zone)
    if "recurrence_rule" in fields:
        rule = fields["recurrence_rule"] or ""
        if rule and fields.get("start") is None:
            raise ValueError("a recurrence needs the series start")
        body["recurrence"] = (
            rrule_to_graph(rule, start=fields["start"], time_zone=time_zone, windows_zone=windows_zone)
            if rule
            else None
        )
    properties = []
    if crm_id is not None:
        properties.append({"id": CRM_ID_PROPERTY, "value": str(crm_id)})
    if properties:
        body["singleValueExtendedProperties"] = properties
    return body


def event_from_graph(item: Mapping[str, Any], *, default_time_zone: str = "UTC") -> dict[str, Any]:
    """The CRM event fields of a Graph event (a single event or a series master).

    `exceptions` lists the series' moved or changed occurrences (read from its exceptionOccurrences),
    each with its `original_start` and the EXCEPTION_FIELDS, ordered by original start.
    """
    zone_name = default_time_zone
    original = item.get("originalStartTimeZone") or (item.get("start") or {}).get("timeZone")
    if original:
        try:
            zone_name = windows_to_iana(str(original)[:100], prefer=default_time_zone)
        except ValueError:
            zone_name = default_time_zone
    all_day = bool(item.get("isAllDay"))
    if all_day:
        # All-day events float: whatever zone Graph reports them in, their dates are the event's dates.
        zone = ZoneInfo(zone_name)
        start = end = None
        for name in ("start", "end"):
            value = item.get(name) or {}
            try:
                day = dt.date.fromisoformat(str(value.get("dateTime", ""))[:10])
            except ValueError:
                continue
            instant = dt.datetime.combine(day, dt.time(), tzinfo=zone).astimezone(dt.UTC)
            start, end = (instant, end) if name == "start" else (start, instant)
    else:
        start, end = from_graph_datetime(item.get("start")), from_graph_datetime(item.get("end"))
    location = item.get("location") if isinstance(item.get("location"), dict) else {}
    body = item.get("body") if isinstance(item.get("body"), dict) else {}
    rule = (
        graph_to_rrule(item.get("recurrence"), time_zone=zone_name, all_day=all_day) if item.get("recurrence") else ""
    )
    cancelled = []
    if rule and start is not None:
        cancelled = cancelled_starts_from_graph(
            _list(item.get("cancelledOccurrences"), 1000), start=start, time_zone=zone_name
        )
    exceptions = []
    for occurrence in _list(item.get("exceptionOccurrences"), MAX_EXCEPTIONS):
        if isinstance(occurrence, dict) and rule:
            values = event_from_graph(occurrence, default_time_zone=zone_name)
            exceptions.append(
                {"original_start": event_original_start(occurrence), **{k: values[k] for k in EXCEPTION_FIELDS}}
            )
    exceptions.sort(key=lambda e: e["original_start"] or dt.datetime.min.replace(tzinfo=dt.UTC))
    return {
        "title": _text(item.get("subject")),
        "description": str(body.get("content") or "")[:MAX_TEXT],
        "location": _text(location.get("displayName")),
        "start": start,
        "end": end,
        "all_day": all_day,
        "time_zone": zone_name,
        "recurrence_rule": rule,
        "cancelled_starts": cancelled,
        "exceptions": exceptions,
    }


def event_original_start(item: Mapping[str, Any]) -> dt.datetime | None:
    """The original start (UTC) of an occurrence or exception of a series."""
    return instant_from_text(item.get("originalStart"))
