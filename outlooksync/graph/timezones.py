"""Time-zone names between Windows (what Outlook stores) and IANA (what the CRM stores).

The table is CLDR's windowsZones data as shipped by `tzlocal` (maintained with each CLDR release), so
the mapping follows Microsoft's renames without a copy of our own to keep up to date.
"""

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tzlocal.windows_tz import tz_win, win_tz

# Names Graph may answer that are not Windows zone ids in CLDR's table; UTC stays "UTC", the CRM's default.
_GRAPH_ALIASES = {
    "UTC": "UTC",
    "Coordinated Universal Time": "UTC",
    "tzone://Microsoft/Utc": "UTC",
    "tzone://Microsoft/Custom": "UTC",
}


# CLDR keeps a few zone ids under their old names; the CRM (and current tzdata) uses the new ones.
_CURRENT_NAMES = {
    "America/Buenos_Aires": "America/Argentina/Buenos_Aires",
    "America/Godthab": "America/Nuuk",
    "America/Indianapolis": "America/Indiana/Indianapolis",
    "Asia/Calcutta": "Asia/Kolkata",
    "Asia/Katmandu": "Asia/Kathmandu",
    "Asia/Rangoon": "Asia/Yangon",
    "Europe/Kiev": "Europe/Kyiv",
}


def windows_to_iana(name: str, *, prefer: str = "") -> str:
    """The IANA name of a Windows (or IANA) zone name Graph answered; unknown names raise ValueError.

    `prefer` (such as the rep's zone) is answered when it is in the same Windows zone, so that a zone
    that went to Outlook comes back under the name it went with.
    """
    name = (name or "").strip()
    if prefer and name in win_tz:
        try:
            if iana_to_windows(prefer) == name:
                return prefer
        except ValueError:
            pass
    if name in _GRAPH_ALIASES:
        return _GRAPH_ALIASES[name]
    if name in win_tz:
        return _CURRENT_NAMES.get(win_tz[name], win_tz[name])
    # Graph answers the zone it was given, and we may have sent an IANA name to a mailbox that accepts them.
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None
    return name


def iana_to_windows(name: str) -> str:
    """The Windows zone id for an IANA name (as Graph expects in start/end and recurrence time zones)."""
    name = (name or "").strip()
    if name in ("UTC", "Etc/UTC", "Etc/GMT", "GMT", "Etc/Universal", "Etc/Zulu"):
        return "UTC"
    if name in tz_win:
        return tz_win[name]
    raise ValueError(f"no Windows time zone for {name!r}")


def zone(name: str) -> dt.tzinfo:
    """The tzinfo of a Windows or IANA name."""
    return ZoneInfo(windows_to_iana(name))
