"""Filters shared by the apps' FilterSets."""

import datetime
import re

import django_filters
from django import forms
from django.db import models
from django_filters.fields import RangeField
from django_filters.widgets import BooleanWidget, DateRangeWidget

from backoffice.models import User

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


# Ids are positive bigints; a larger number names no row (and must not reach the database).
MAX_ID = 2**63 - 1
WHOLE_NUMBER = re.compile(r"-?[0-9]+", re.ASCII)


class WholeNumberField(forms.IntegerField):
    """An integer written as digits only (no "1.0", "1e3" or spaces), as the API schema says."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if not WHOLE_NUMBER.fullmatch(str(value)):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return int(value) if len(str(value)) <= 20 else MAX_ID + 1


class IdFilter(django_filters.NumberFilter):
    """Rows linked to the record with this id; an id of no record (of the caller's) matches none."""

    field_class = WholeNumberField

    def filter(self, qs, value):
        if value is not None and not 0 < value <= MAX_ID:
            return qs.none()
        return super().filter(qs, value)


class StrictBooleanWidget(BooleanWidget):
    """Passes the value as sent, so that the field can refuse what is neither true nor false."""

    def value_from_datadict(self, data, files, name):
        return data.get(name)


class StrictBooleanField(forms.NullBooleanField):
    widget = StrictBooleanWidget

    def to_python(self, value):
        if value in (None, "", True, False):
            return None if value == "" else value
        choice = {"true": True, "false": False, "1": True, "0": False}.get(str(value).lower())
        if choice is None:
            raise forms.ValidationError("Give true or false.", code="invalid")
        return choice

    def validate(self, value):
        pass


class StrictBooleanFilter(django_filters.BooleanFilter):
    """true or false (empty: no filter); anything else is refused rather than ignored."""

    field_class = StrictBooleanField


class StrictFilterSet(django_filters.FilterSet):
    """A FilterSet whose generated boolean filters refuse values other than true and false."""

    FILTER_DEFAULTS = {
        **django_filters.FilterSet.FILTER_DEFAULTS,
        models.BooleanField: {"filter_class": StrictBooleanFilter},
    }


class UserFilter(StrictFilterSet):
    class Meta:
        model = User
        fields = ["role", "is_active"]
