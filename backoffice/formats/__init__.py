"""Date and time formats an organization chooses from, used by pages and form inputs alike.

Django reads formats by language; each choice is a variant of English ("en-dmy", ...) whose format
module is here (`FORMAT_MODULE_PATH`), and `DisplayFormatMiddleware` activates the organization's
variant for each request. The default, ISO-like, is plain "en": "2026-11-25 14:03".
Every variant also accepts ISO dates typed or posted ("2026-11-25"), so scripts and links keep working.
"""

ISO_DATES = ["%Y-%m-%d"]
ISO_DATETIMES = ["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"]

FORMATS = {
    "iso": {
        "label": "2026-11-25 14:03 (year-month-day)",
        "DATE_FORMAT": "Y-m-d",
        "DATETIME_FORMAT": "Y-m-d H:i",
        "TIME_FORMAT": "H:i",
        "DATE_INPUT_FORMATS": ISO_DATES,
        "DATETIME_INPUT_FORMATS": ISO_DATETIMES,
    },
    "dmy": {
        "label": "25/11/2026 14:03 (day/month/year)",
        "DATE_FORMAT": "d/m/Y",
        "DATETIME_FORMAT": "d/m/Y H:i",
        "TIME_FORMAT": "H:i",
        "DATE_INPUT_FORMATS": ["%d/%m/%Y", *ISO_DATES],
        "DATETIME_INPUT_FORMATS": ["%d/%m/%Y %H:%M", *ISO_DATETIMES],
    },
    "mdy": {
        "label": "11/25/2026 2:03 PM (month/day/year)",
        "DATE_FORMAT": "m/d/Y",
        "DATETIME_FORMAT": "m/d/Y g:i A",
        "TIME_FORMAT": "g:i A",
        "DATE_INPUT_FORMATS": ["%m/%d/%Y", *ISO_DATES],
        "DATETIME_INPUT_FORMATS": ["%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M", *ISO_DATETIMES],
    },
    "long": {
        "label": "25 Nov 2026 14:03",
        "DATE_FORMAT": "j M Y",
        "DATETIME_FORMAT": "j M Y H:i",
        "TIME_FORMAT": "H:i",
        "DATE_INPUT_FORMATS": ["%d %b %Y", *ISO_DATES],
        "DATETIME_INPUT_FORMATS": ["%d %b %Y %H:%M", *ISO_DATETIMES],
    },
}
DEFAULT_FORMAT = "iso"
# The language variant that carries each choice (plain "en" for the default).
LANGUAGES = {"iso": "en", "dmy": "en-dmy", "mdy": "en-mdy", "long": "en-long"}


def module_values(key: str) -> dict:
    """What a variant's formats module defines: Django's format settings of that choice."""
    values = {name: value for name, value in FORMATS[key].items() if name != "label"}
    values["SHORT_DATE_FORMAT"] = values["DATE_FORMAT"]
    values["SHORT_DATETIME_FORMAT"] = values["DATETIME_FORMAT"]
    return values
