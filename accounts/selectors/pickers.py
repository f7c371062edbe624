"""Reads of the searchable pickers: the options matching what was typed, for one kind of choice.

Every kind reads through the acting user's selectors, so a picker only ever offers rows of their
organization (and, for owners, only whom they may make owner). Each kind costs one query at most,
cut at `PICKER_LIMIT` options. The related-record picker reuses the global search's sources: every
source whose hits carry a related-record key is a kind of record an activity can attach to.
"""

import zoneinfo
from dataclasses import asdict, dataclass

from django.db.models import Q

from accounts.search import SearchTerm, search_sources
from accounts.selectors.activities import related_record_types
from accounts.selectors.dashboard import team_members
from accounts.selectors.records import account_list, business_customer_list, contact_list
from accounts.selectors.search import _matching
from backoffice.models import User
from backoffice.selectors import user_list

PICKER_LIMIT = 20
TIME_ZONES = sorted(zoneinfo.available_timezones())


@dataclass(frozen=True)
class PickerOption:
    """One option: the value the form posts, the text shown, a detail telling it apart, its group."""

    value: str
    text: str
    detail: str = ""
    group: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def _active(rows):
    return rows.filter(archived_at__isnull=True) if hasattr(rows.model, "archived_at") else rows


def _contacts(actor: User, term: SearchTerm | None) -> list[PickerOption]:
    rows = _active(contact_list(actor=actor)).select_related(None)
    if term:
        rows = _matching(rows, term, names=("first_name", "last_name"), emails=("email",))
    rows = rows.only("id", "name_prefix", "first_name", "middle_name", "last_name", "email")
    return [
        PickerOption(str(c.pk), c.full_name, c.email)
        for c in rows.order_by("last_name", "first_name", "id")[:PICKER_LIMIT]
    ]


def _accounts(actor: User, term: SearchTerm | None) -> list[PickerOption]:
    rows = _active(account_list(actor=actor)).select_related(None)
    if term:
        rows = _matching(rows, term, names=("name",))
    return [PickerOption(str(a.pk), a.name) for a in rows.only("id", "name").order_by("name", "id")[:PICKER_LIMIT]]


def _business_customers(actor: User, term: SearchTerm | None) -> list[PickerOption]:
    rows = business_customer_list(actor=actor).select_related("account")
    if term:
        rows = _matching(rows, term, names=("name",), emails=("email",))
    return [
        PickerOption(str(c.pk), f"{c.name} ({c.account.name})", c.email)
        for c in rows.order_by("name", "id")[:PICKER_LIMIT]
    ]


def owner_choices(actor: User):
    """Whom the actor may make owner: reps only themselves, managers and admins anyone of the organization."""
    if actor.can_manage_organization:
        return user_list(actor=actor)
    return User.objects.filter(pk=actor.pk)


def _people(rows, term: SearchTerm | None) -> list[PickerOption]:
    rows = rows.select_related(None)
    for word in term.words if term else ():
        rows = rows.filter(Q(first_name__icontains=word) | Q(last_name__icontains=word) | Q(username__icontains=word))
    rows = rows.order_by("first_name", "last_name", "username")[:PICKER_LIMIT]
    return [PickerOption(str(user.pk), user.display_name, user.email) for user in rows]


def _owners(actor: User, term: SearchTerm | None) -> list[PickerOption]:
    return _people(owner_choices(actor), term)


def _users(actor: User, term: SearchTerm | None) -> list[PickerOption]:
    return _people(user_list(actor=actor), term)


def _team(actor: User, term: SearchTerm | None) -> list[PickerOption]:
    return _people(team_members(actor=actor), term)


def _time_zones(actor: User, term: SearchTerm | None) -> list[PickerOption]:
    words = [word.lower() for word in term.words] if term else []
    zones = [zone for zone in TIME_ZONES if all(word in zone.lower().replace("_", " ") for word in words)]
    return [PickerOption(zone, zone.replace("_", " ")) for zone in zones[:PICKER_LIMIT]]


def _related_records(actor: User, term: SearchTerm | None) -> list[PickerOption]:
    if term is None:
        return []
    attachable = related_record_types()
    options = []
    for source in sorted(search_sources, key=lambda source: (source.order, source.key)):
        for hit in source.search(actor=actor, term=term, limit=5):
            if hit.key.partition(":")[0] in attachable:
                options.append(PickerOption(hit.key, hit.label, hit.detail, source.label))
    return options


PICKER_KINDS = {
    "contact": _contacts,
    "account": _accounts,
    "businesscustomer": _business_customers,
    "owner": _owners,
    "user": _users,
    "team": _team,
    "timezone": _time_zones,
    "record": _related_records,
}


def picker_options(
    *, actor: User, kind: str, text: str, exclude: frozenset[str] = frozenset()
) -> list[PickerOption] | None:
    """The options of a picker matching `text` (the first ones when nothing is typed); None for no such kind.

    `exclude` leaves out values the form would refuse anyway (an account cannot refer itself).
    """
    search = PICKER_KINDS.get(kind)
    if search is None:
        return None
    return [option for option in search(actor, SearchTerm.parse(text)) if option.value not in exclude]
