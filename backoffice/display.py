"""The organization's date and time format: a settings section, and the per-request choice of formats.

The choice is read from the cache (the settings write clears it, and signing in fills it), so pages
cost no query more for it.
"""

from django import forms
from django.core.cache import cache
from django.db import transaction
from django.utils import translation

from backoffice.formats import DEFAULT_FORMAT, FORMATS, LANGUAGES
from backoffice.org_settings import SettingsSection, settings_get, settings_sections

DISPLAY_SECTION = "display"
CACHE_SECONDS = 3600


def _cache_key(organization_id: int) -> str:
    return f"org-display-format:{organization_id}"


def register_display_section() -> None:
    """The "Dates and times" section of the Configuration page."""
    settings_sections.register(
        SettingsSection(
            key=DISPLAY_SECTION,
            title="Dates and times",
            description="How pages show dates and times, and how they are typed in forms.",
            fields={
                "datetime_format": forms.ChoiceField(
                    label="Date and time format",
                    choices=[(key, value["label"]) for key, value in FORMATS.items()],
                )
            },
            defaults={"datetime_format": DEFAULT_FORMAT},
            order=800,
            on_change=lambda organization_id: transaction.on_commit(lambda: cache.delete(_cache_key(organization_id))),
        )
    )


def organization_display_format(organization_id: int) -> str:
    """The organization's format choice (a key of backoffice.formats.FORMATS)."""
    key = cache.get(_cache_key(organization_id))
    if key not in FORMATS:
        key = settings_get(organization_id=organization_id, section=DISPLAY_SECTION)["datetime_format"]
        cache.set(_cache_key(organization_id), key, CACHE_SECONDS)
    return key


def warm_display_format(sender, request, user, **kwargs) -> None:
    """On sign-in, read the organization's choice ahead of the first page (user_logged_in receiver)."""
    if user.organization_id:
        organization_display_format(user.organization_id)


class DisplayFormatMiddleware:
    """Pages and form inputs of a signed-in user use their organization's date and time format."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        key = DEFAULT_FORMAT
        if user is not None and user.is_authenticated and user.organization_id:
            key = organization_display_format(user.organization_id)
        if key == DEFAULT_FORMAT:
            return self.get_response(request)
        with translation.override(LANGUAGES[key]):
            return self.get_response(request)
