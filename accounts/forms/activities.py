"""Forms of the activity pages: tasks, calendar events, notes and the activity list's filters.

A "related record" is chosen in a searchable picker over every kind of record an activity attaches to;
what it posts (an "app_label.model:id" key, never shown) is resolved among the records the acting user
may read. An event's start and end are typed in the event's own time zone.
"""

import datetime as dt
import zoneinfo

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts import selectors
from accounts.calendar import parse_instant
from accounts.choices import TaskPriority, TaskStatus
from accounts.date_range import validate_in_range
from accounts.forms.base import UserChoiceField, picker_widget, use_picker, without_archived
from accounts.recurrence import MAX_COUNT, MAX_INTERVAL, WEEKDAYS, Rule, rule_parse
from accounts.recurrence_words import DAY_NAMES, rule_describe, rule_last_day
from backoffice.forms import BootstrapForm, style_form
from backoffice.selectors import user_list
from backoffice.widgets import OrganizationDateInput, OrganizationDateTimeInput

REPEAT_CHOICES = [("", "Does not repeat"), ("DAILY", "Daily"), ("WEEKLY", "Weekly"), ("MONTHLY", "Monthly")]
REPEAT_CHOICES.append(("YEARLY", "Yearly"))
TIME_ZONES = sorted(zoneinfo.available_timezones())
TIME_ZONE_SET = frozenset(TIME_ZONES)


# --- related records ----------------------------------------------------------------------------


def related_key(obj) -> str:
    """The "app_label.model:id" key naming a record in the ?related= parameter."""
    return f"{obj._meta.label_lower}:{obj.pk}" if obj is not None else ""


def related_record_from_key(*, actor, key: str):
    """The record a "app_label.model:id" key names, among those the actor may read; ValidationError if none."""
    label, _, pk = key.strip().partition(":")
    label = label.lower()
    if label not in selectors.related_record_types() or not pk.isdecimal():
        raise ValidationError("Choose an account, contact, customer, lead or opportunity.")
    record = selectors.related_record_get(actor=actor, content_type_label=label, object_id=int(pk))
    if record is None:
        raise ValidationError("No such record in your organization.")
    return record


# --- shared form parts -------------------------------------------------------------------------


def _datetime_field(**kwargs) -> forms.DateTimeField:
    return forms.DateTimeField(
        widget=OrganizationDateTimeInput(),
        validators=[validate_in_range],
        **kwargs,
    )


def related_record_label(record) -> str:
    """How a related record reads in the picker: its name and its kind ("Acme rollout (Opportunity)")."""
    return f"{record} ({record._meta.verbose_name.capitalize()})"


class RelatedFormMixin:
    """A "related record" picker searching every kind of record an activity attaches to, resolved for the actor."""

    def _setup_related(self, *, required: bool) -> None:
        self.fields["related"] = forms.CharField(
            required=required,
            label="Related record",
            help_text="Type part of the name of an account, contact, customer, lead or opportunity.",
            widget=picker_widget("record", placeholder="Search records…"),
        )
        self.related_record = None
        key = self.data.get("related") if self.is_bound else self.initial.get("related")
        if key:
            try:
                self.related_record = related_record_from_key(actor=self.actor, key=key)
            except ValidationError:
                self.related_record = None
        # The page carries only the record chosen now; the others are searched as one types.
        chosen = []
        if self.related_record is not None:
            chosen = [(related_key(self.related_record), related_record_label(self.related_record))]
        self.fields["related"].widget.choices = [("", "None"), *chosen]
        style_form(self)  # the fields set up after BootstrapForm styled the others

    def clean_related(self):
        key = self.cleaned_data.get("related", "")
        if not key:
            return None
        return related_record_from_key(actor=self.actor, key=key)


def _owner_field(actor) -> forms.ModelChoiceField:
    field = UserChoiceField(queryset=user_list(actor=actor), label="Owner", initial=actor.pk)
    use_picker(field, "owner")
    return field


# --- account activity list ----------------------------------------------------------------------


class ActivityFilterForm(BootstrapForm):
    """The activity list's filters: type and a date range (inclusive, in the user's time zone)."""

    type = forms.ChoiceField(
        required=False,
        choices=[("", "All types"), ("task", "Tasks"), ("event", "Events"), ("note", "Notes")],
        widget=forms.Select(attrs={"id": "activity-type", "class": "form-select-sm"}),
    )
    date_from = forms.DateField(
        required=False,
        label="From",
        widget=OrganizationDateInput(attrs={"id": "activity-from", "class": "form-control-sm"}),
        validators=[validate_in_range],
    )
    date_to = forms.DateField(
        required=False,
        label="To",
        widget=OrganizationDateInput(attrs={"id": "activity-to", "class": "form-control-sm"}),
        validators=[validate_in_range],
    )

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", "The end date cannot be before the start date.")
        return data


# --- tasks ----------------------------------------------------------------------------------------


class TaskForm(RelatedFormMixin, BootstrapForm):
    """A task, optionally attached to a record; managers and admins choose its owner."""

    subject = forms.CharField(max_length=255)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    status = forms.ChoiceField(choices=TaskStatus.choices, initial=TaskStatus.NOT_STARTED)
    priority = forms.ChoiceField(choices=TaskPriority.choices, initial=TaskPriority.NORMAL)
    start_at = _datetime_field(required=False, label="Start")
    due_at = _datetime_field(required=False, label="Due")
    reminder_at = _datetime_field(required=False, label="Reminder")

    def __init__(self, *args, actor, **kwargs):
        self.actor = actor
        super().__init__(*args, **kwargs)
        if actor.can_manage_organization:
            self.fields["owner"] = _owner_field(actor)
        self._setup_related(required=False)

    def clean(self):
        data = super().clean()
        # The service refuses it too; checked here so that it shows with every other message at once.
        start, due = data.get("start_at"), data.get("due_at")
        if start and due and due < start:
            self.add_error("due_at", "The due date cannot be before the start date.")
        return data


# --- calendar events ----------------------------------------------------------------------------


WEEKDAY_CHOICES = [(code, name[:3]) for code, name in zip(WEEKDAYS, DAY_NAMES, strict=True)]
ENDS_CHOICES = [("never", "Never"), ("until", "On a date"), ("count", "After a number of times")]
KEEP = "KEEP"  # the "Repeats" choice that keeps a rule the editor cannot show (one written in Outlook)
EDITOR_FIELDS = frozenset({"repeat", "interval", "weekdays", "ends", "repeat_until", "repeat_count"})


def _editable(rule: Rule) -> bool:
    """Whether the repetition editor can show the rule: every N days, weeks on chosen days, months or years."""
    plain_days = all(ordinal is None for ordinal, _day in rule.byday)
    weekly_days = not rule.byday or (rule.freq == "WEEKLY" and plain_days)
    return weekly_days and not (rule.bymonthday or rule.bymonth or rule.bysetpos)


class EventForm(RelatedFormMixin, BootstrapForm):
    """A calendar event or series, typed in its own time zone; the repetition editor writes its rule.

    The editor covers every N days, weeks (on chosen days), months or years, until a date or a number of
    times. A rule it cannot show (from Outlook, say) is kept as it is unless another repetition is chosen.
    """

    title = forms.CharField(max_length=255)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    location = forms.CharField(required=False, max_length=255)
    start = _datetime_field()
    end = _datetime_field(required=False, help_text="Leave empty for one hour.")
    all_day = forms.BooleanField(required=False, label="All day")
    time_zone = forms.ChoiceField(choices=[(z, z) for z in TIME_ZONES], help_text="Start and end are in this zone.")
    repeat = forms.ChoiceField(choices=REPEAT_CHOICES, required=False, label="Repeats")
    interval = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_INTERVAL,
        label="Every",
        initial=1,
        help_text="1 for every day, week, month or year; 2 for every other one.",
        error_messages={"min_value": "Repeat at least every 1.", "max_value": f"Repeat at most every {MAX_INTERVAL}."},
    )
    weekdays = forms.MultipleChoiceField(
        choices=WEEKDAY_CHOICES,
        required=False,
        label="On",
        widget=forms.CheckboxSelectMultiple,
        help_text="Weekly only; none chosen repeats on the start's weekday.",
    )
    ends = forms.ChoiceField(
        choices=ENDS_CHOICES, initial="never", required=False, label="Ends", widget=forms.RadioSelect
    )
    repeat_until = forms.DateField(
        required=False,
        label="Last day",
        widget=OrganizationDateInput(),
        validators=[validate_in_range],
    )
    repeat_count = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_COUNT,
        label="Number of times",
        error_messages={"min_value": "Repeat at least once.", "max_value": f"Repeat at most {MAX_COUNT} times."},
    )
    # The rule kept when "Repeats" is KEEP: a rule the editor cannot show, carried over unchanged.
    recurrence_rule = forms.CharField(required=False, widget=forms.HiddenInput)

    # What the service refuses in the rule is shown under "Repeats", the field the user sees.
    error_field_map = {"recurrence_rule": "repeat"}

    def __init__(self, *args, actor, **kwargs):
        self.actor = actor
        self._initial_rule = ""
        super().__init__(*args, **kwargs)
        contacts = (
            selectors.contact_list(actor=actor)
            .select_related(None)
            .only("id", "first_name", "last_name", "name_prefix")
        )
        if not self.is_bound:
            # Offered: active contacts and those already attending; a saved list may keep archived ones.
            attending = [getattr(c, "pk", c) for c in self.initial.get("attendees") or []]
            contacts = without_archived(contacts, current=attending)
            self._initial_repetition()
        kept = self.data.get("recurrence_rule") if self.is_bound else self.initial.get("recurrence_rule")
        if kept:
            zone = (self.data if self.is_bound else self.initial).get("time_zone") or "UTC"
            self.fields["repeat"].choices = [
                *REPEAT_CHOICES,
                (KEEP, f"As it is: {rule_describe(kept, zone=zone if zone in TIME_ZONE_SET else 'UTC')}"),
            ]
        self.fields["attendees"] = forms.ModelMultipleChoiceField(queryset=contacts, required=False)
        use_picker(self.fields["attendees"], "contact")
        use_picker(self.fields["time_zone"], "timezone")
        if actor.can_manage_organization:
            self.fields["owner"] = _owner_field(actor)
        self._setup_related(required=False)

    @property
    def repetition_words(self) -> str:
        """The repetition in words as the form holds it ("" when it does not repeat or cannot be read yet)."""
        if self.is_bound:
            data = getattr(self, "cleaned_data", None) or {}
            rule = "" if EDITOR_FIELDS & set(self.errors) else data.get("recurrence_rule", "")
            zone, start = data.get("time_zone"), data.get("start")
        else:
            rule, zone, start = self._initial_rule, self.initial.get("time_zone"), self.initial.get("start")
        if not rule:
            return ""
        return rule_describe(rule, zone=zone if zone in TIME_ZONE_SET else "UTC", start=start)

    def _initial_repetition(self) -> None:
        """Fill the editor from the rule the event has (or the "Repeats"/"Until" pair the view gives)."""
        initial = self.initial
        rule_text = initial.get("recurrence_rule") or ""
        self._initial_rule = rule_text
        if not rule_text:
            if initial.get("repeat"):
                initial.setdefault("ends", "until" if initial.get("repeat_until") else "never")
                until = initial.get("repeat_until")
                self._initial_rule = f"FREQ={initial['repeat']}" + (f";UNTIL={until:%Y%m%d}" if until else "")
            return
        try:
            rule = rule_parse(rule_text)
        except ValidationError:
            initial["repeat"] = KEEP
            return
        if not _editable(rule):
            initial["repeat"] = KEEP
            return
        zone_name = initial.get("time_zone") or "UTC"
        zone = zoneinfo.ZoneInfo(zone_name if zone_name in TIME_ZONE_SET else "UTC")
        initial.update(
            repeat=rule.freq,
            interval=rule.interval,
            weekdays=[WEEKDAYS[day] for _ordinal, day in rule.byday],
            ends="count" if rule.count else "until" if rule.until else "never",
            repeat_count=rule.count,
            repeat_until=rule_last_day(rule, zone),
            recurrence_rule="",
        )

    def _localize(self, value: dt.datetime | None, zone: zoneinfo.ZoneInfo) -> dt.datetime | None:
        """Read the typed wall-clock time in the event's zone rather than the user's."""
        if value is None:
            return None
        naive = timezone.make_naive(value, timezone.get_current_timezone())
        return naive.replace(tzinfo=zone)

    def _edited_rule(self, data: dict, zone: zoneinfo.ZoneInfo) -> str:
        """The RRULE the repetition editor's fields describe; each problem lands under its field."""
        freq = data.get("repeat")
        parts = [f"FREQ={freq}"]
        interval = data.get("interval") or 1
        if interval != 1:
            parts.append(f"INTERVAL={interval}")
        weekdays = data.get("weekdays") or []
        if weekdays and freq == "WEEKLY":
            parts.append("BYDAY=" + ",".join(code for code in WEEKDAYS if code in weekdays))
        ends = data.get("ends") or ("until" if data.get("repeat_until") else "never")
        if ends == "until":
            until = data.get("repeat_until")
            start = data.get("start")
            if until is None and "repeat_until" not in self.errors:
                self.add_error("repeat_until", "Choose the last day of the series, or another way for it to end.")
            elif until is not None and start and until < start.date():
                self.add_error("repeat_until", "The series cannot end before its first occurrence.")
            elif until is not None:
                last_instant = dt.datetime.combine(until, dt.time(23, 59, 59), zone).astimezone(dt.UTC)
                parts.append(f"UNTIL={last_instant:%Y%m%dT%H%M%SZ}")
        elif ends == "count":
            count = data.get("repeat_count")
            if count is None and "repeat_count" not in self.errors:
                self.add_error(
                    "repeat_count", "Say how many times the event takes place, or another way for it to end."
                )
            elif count is not None:
                parts.append(f"COUNT={count}")
        return ";".join(parts)

    def clean(self):
        data = super().clean()
        zone_name = data.get("time_zone")
        zone = zoneinfo.ZoneInfo(zone_name) if zone_name else None
        if zone is not None:
            data["start"] = self._localize(data.get("start"), zone)
            data["end"] = self._localize(data.get("end"), zone)
        start, end = data.get("start"), data.get("end")
        if start and end and end < start and not data.get("all_day"):
            self.add_error("end", "The event cannot end before it starts.")
        repeat = data.get("repeat")
        rule, error_field = "", "repeat"
        if repeat == KEEP:
            rule = (data.get("recurrence_rule") or "").strip()
            if not rule:
                self.add_error("repeat", "There is no repetition to keep; choose how the event repeats.")
        elif repeat:
            rule = self._edited_rule(data, zone or dt.UTC)
        if rule:
            try:
                rule = rule_parse(rule).text()
            except ValidationError as error:
                for message in error.message_dict["recurrence_rule"]:
                    self.add_error(error_field, message)
        data["recurrence_rule"] = rule
        return data


def simple_repeat(rule: str, zone: zoneinfo.ZoneInfo) -> tuple[str, dt.date | None] | None:
    """(frequency, last day) when the rule is what the "Repeats" control builds, else None."""
    parts = dict(p.split("=", 1) for p in rule.upper().split(";") if "=" in p)
    if set(parts) - {"FREQ", "UNTIL"} or parts.get("FREQ") not in dict(REPEAT_CHOICES):
        return None
    stamp = parts.get("UNTIL")
    if not stamp:
        return parts["FREQ"], None
    if len(stamp) == 8 and stamp.isdecimal():  # a floating date
        return parts["FREQ"], dt.date(int(stamp[:4]), int(stamp[4:6]), int(stamp[6:8]))
    instant = parse_instant(f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:11]}:{stamp[11:13]}:{stamp[13:15]}+00:00")
    if instant is None or not stamp.endswith("Z"):
        return None
    # The UNTIL instant is the end of the chosen day in the event's zone.
    return parts["FREQ"], instant.astimezone(zone).date()


# --- notes --------------------------------------------------------------------------------------


class NoteForm(RelatedFormMixin, BootstrapForm):
    """A note on a record (a note always belongs to one)."""

    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}))

    def __init__(self, *args, actor, **kwargs):
        self.actor = actor
        super().__init__(*args, **kwargs)
        self._setup_related(required=True)
