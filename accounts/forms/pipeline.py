"""Filter forms of the pipeline board and the forecast."""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django import forms
from django.http import QueryDict

from accounts.choices import OpportunityStatus
from accounts.date_range import validate_in_range
from accounts.forms.base import use_picker
from accounts.selectors.pipeline import ORDER_AMOUNT, ORDER_CLOSE_DATE, ORDERS, BoardFilters, Cursor
from backoffice.selectors import user_list

# Digits of an amount filter, cents included: what the money columns hold.
AMOUNT_DIGITS = 18


class OwnerChoiceField(forms.ModelMultipleChoiceField):
    """A multiple user picker labelled with people's names."""

    def label_from_instance(self, obj) -> str:
        return obj.display_name


class OwnerFilterForm(forms.Form):
    """Owners of the actor's organization to narrow the board or the forecast to."""

    owner = OwnerChoiceField(queryset=None, required=False, label="Owners")

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = user_list(actor=actor)
        use_picker(self.fields["owner"], "user")
        self.fields["owner"].widget.attrs["class"] = "form-select"

    def owners(self):
        """The chosen owners, or None for everyone (an empty choice means no filter)."""
        if not self.is_bound or not self.is_valid():
            return None
        return list(self.cleaned_data["owner"]) or None


class ForecastFilterForm(OwnerFilterForm):
    """The forecast's filters; the rules between them (range order, no future comparison) are the selector's."""

    date_from = forms.DateField(required=False, label="Expected close from")
    date_to = forms.DateField(required=False, label="Expected close to")
    compare_to = forms.DateField(
        required=False, label="Compare to date", help_text="The figures as they stood at the end of that day."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("date_from", "date_to", "compare_to"):
            self.fields[name].widget = forms.DateInput(attrs={"type": "date", "class": "form-control"})


class PipelineFilterForm(OwnerFilterForm):
    """The board's filters: owners (or the whole team), expected close range, amount range and card order."""

    everyone = forms.BooleanField(required=False, label="Whole team")
    close_from = forms.DateField(required=False, label="Expected close from", validators=[validate_in_range])
    close_to = forms.DateField(required=False, label="Expected close to", validators=[validate_in_range])
    amount_min = forms.DecimalField(
        required=False, label="Amount from", min_value=0, max_digits=AMOUNT_DIGITS, decimal_places=2
    )
    amount_max = forms.DecimalField(
        required=False, label="Amount to", min_value=0, max_digits=AMOUNT_DIGITS, decimal_places=2
    )
    order = forms.ChoiceField(required=False, label="Cards by", choices=list(ORDERS.items()))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("close_from", "close_to"):
            self.fields[name].widget = forms.DateInput(attrs={"type": "date", "class": "form-control"})
        for name in ("amount_min", "amount_max"):
            self.fields[name].widget.attrs.update({"class": "form-control", "step": "0.01"})
        self.fields["order"].widget.attrs.update({"class": "form-select"})
        self.fields["everyone"].widget.attrs.update({"class": "form-check-input"})

    def clean(self):
        data = super().clean()
        close_from, close_to = data.get("close_from"), data.get("close_to")
        if close_from and close_to and close_from > close_to:
            self.add_error("close_to", "The end of the range comes before its start.")
        amount_min, amount_max = data.get("amount_min"), data.get("amount_max")
        if amount_min is not None and amount_max is not None and amount_min > amount_max:
            self.add_error("amount_max", "The largest amount is below the smallest.")
        return data

    def filters(self) -> BoardFilters:
        """The chosen filters, or the defaults when the form is unbound or invalid."""
        if not self.is_bound or not self.is_valid():
            return BoardFilters()
        data = self.cleaned_data
        return BoardFilters(
            owner_ids=tuple(owner.pk for owner in data["owner"]),
            everyone=data["everyone"],
            close_from=data["close_from"],
            close_to=data["close_to"],
            amount_min=data["amount_min"],
            amount_max=data["amount_max"],
            order=data["order"] or ORDER_CLOSE_DATE,
        )

    def query(self) -> str:
        """The valid filters as a query string, for the links that must keep them (load more, moves)."""
        if not self.is_bound or not self.is_valid():
            return ""
        query = QueryDict(mutable=True)
        for name, value in self.cleaned_data.items():
            if name not in PipelineFilterForm.base_fields:
                continue  # a column page's own fields (status, cursor) are not filters
            if name == "owner":
                query.setlist(name, [str(owner.pk) for owner in value])
            elif value not in (None, "", False):
                query[name] = "1" if value is True else str(value)
        return query.urlencode()


class CursorField(forms.CharField):
    """Where a column's next page starts: `<close date or amount>~<id>`, the key empty when the card has none."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 64)
        super().__init__(*args, **kwargs)

    def parse(self, value: str, order: str) -> Cursor | None:
        if not value:
            return None
        key, _, pk = value.rpartition("~")
        if not pk.isdigit() or int(pk) > 2**63 - 1:
            raise forms.ValidationError("This page marker is not one the board wrote.", code="invalid")
        if not key:
            return Cursor(value=None, pk=int(pk))
        try:
            if order == ORDER_AMOUNT:
                parsed = Decimal(key)
                if not parsed.is_finite() or abs(parsed) >= 10 ** (AMOUNT_DIGITS - 2):
                    raise InvalidOperation
            else:
                parsed = dt.date.fromisoformat(key)
                validate_in_range(parsed)
        except (ValueError, InvalidOperation, forms.ValidationError):
            raise forms.ValidationError("This page marker is not one the board wrote.", code="invalid") from None
        return Cursor(value=parsed, pk=int(pk))


def cursor_text(cursor: Cursor | None) -> str:
    """The cursor as CursorField reads it."""
    if cursor is None:
        return ""
    if cursor.value is None:
        value = ""
    elif isinstance(cursor.value, dt.date):
        value = cursor.value.isoformat()
    else:
        value = str(cursor.value)
    return f"{value}~{cursor.pk}"


class PipelineColumnForm(PipelineFilterForm):
    """One column's next page: the board's filters, the column's status and where the page starts."""

    status = forms.ChoiceField(choices=OpportunityStatus.choices)
    after = CursorField(required=False)

    def clean(self):
        data = super().clean()
        if "after" in data:
            try:
                data["cursor"] = self.fields["after"].parse(data["after"], data.get("order") or ORDER_CLOSE_DATE)
            except forms.ValidationError as invalid:
                self.add_error("after", invalid)
        return data
