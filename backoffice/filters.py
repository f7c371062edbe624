"""Filters shared by the apps' FilterSets."""

import datetime

import django_filters
from django import forms
from django_filters.fields import RangeField
from django_filters.widgets import DateRangeWidget

# Real time zones lie between UTC-12:00 and UTC+14:00; PostgreSQL refuses offsets much beyond.
MAX_UTC_OFFSET = datetime.timedelta(hours=14)


class UTCDateTimeField(forms.DateTimeField):
    """A date and time whose offset, when given, is a real one; the value is returned in UTC."""

    def to_python(self, value):
        result = super().to_python(value)
        if result is None:
            return None
        offset = result.utcoffset()
        if offset is not None and abs(offset) > MAX_UTC_OFFSET:
            raise forms.ValidationError("Give a time zone offset between -14:00 and +14:00.", code="invalid_offset")
        try:
            return result.astimezone(datetime.UTC)
        except OverflowError:
            raise forms.ValidationError("Give a date and time between the years 1 and 9999.", code="invalid") from None


class UTCDateTimeRangeField(RangeField):
    widget = DateRangeWidget

    def __init__(self, *args, **kwargs):
        super().__init__((UTCDateTimeField(), UTCDateTimeField()), *args, **kwargs)


class DateTimeFromToRangeFilter(django_filters.RangeFilter):
    """`<name>_after` / `<name>_before` date and time bounds, compared in UTC (see UTCDateTimeField)."""

    field_class = UTCDateTimeRangeField
