"""One FilterSet per list, shared by the web UI lists and the API `?field=` parameters.

On the web lists every choice of several values is a searchable picker (Tom Select, backoffice/picker.js),
never a Ctrl-click multi-select: owners are searched through the picker endpoint as one types (the page
carries only those chosen), statuses and priorities are picked from their few options by typing or clicking.
The widgets only change how the page draws them: the API reads the same repeated parameters.
"""

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.forms import ModelMultipleChoiceField, SelectMultiple
from django.urls import reverse_lazy

from accounts.choices import Gender, LeadStatus, OpportunityStatus, TaskPriority, TaskStatus
from accounts.date_range import validate_in_range
from accounts.models import Account, BusinessCustomer, CalendarEvent, Contact, Lead, Note, Opportunity, Task
from backoffice.filters import (
    MAX_ID,
    WHOLE_NUMBER,
    DateTimeFromToRangeFilter,
    IdFilter,
    StrictFilterSet,
    UTCDateTimeRangeField,
)
from backoffice.models import User
from backoffice.widgets import PickerSelectMultiple


def people_picker() -> PickerSelectMultiple:
    """Owners searched by name as one types, among the organization's users (the `user` picker)."""
    return PickerSelectMultiple(
        url=reverse_lazy("accounts:picker", args=["user"]),
        placeholder="Anyone",
        attrs={"class": "form-select"},
    )


def choices_picker(placeholder: str) -> SelectMultiple:
    """A few fixed options (statuses, priorities) picked in a searchable box instead of a Ctrl-click list."""
    return SelectMultiple(attrs={"data-picker": "local", "data-placeholder": placeholder, "class": "form-select"})


def _org_users(request):
    if request is None or not request.user.is_authenticated:
        return User.objects.none()
    if request.user.is_superuser:
        return User.objects.all()
    return User.objects.filter(organization_id=request.user.organization_id)


class OwnerIdsField(ModelMultipleChoiceField):
    """User ids as whole numbers; the web form still offers the organization's users to pick from.

    An id of no user of the organization is not an error: like the id of another organization's user, it
    matches no row. Only what is not a whole number is refused, naming the field.
    """

    def clean(self, value):
        if not value:
            return []
        if not isinstance(value, list | tuple):
            raise ValidationError(self.error_messages["invalid_list"], code="invalid_list")
        ids = []
        for item in value:
            text = str(item)
            if not WHOLE_NUMBER.fullmatch(text):
                raise ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": item}
                )
            ids.append(int(text) if len(text) <= 20 else 0)  # a longer number names no row
        return ids

    def label_from_instance(self, obj: User) -> str:
        return obj.display_name


class OwnerFilter(django_filters.ModelMultipleChoiceFilter):
    """Rows owned by any of the given user ids (see OwnerIdsField)."""

    field_class = OwnerIdsField

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.filter(**{f"{self.field_name}__in": [pk for pk in set(value) if 0 < pk <= MAX_ID]})


ARCHIVED_CHOICES = [("active", "Active"), ("archived", "Archived"), ("all", "All")]


class SearchFilterSet(StrictFilterSet):
    """Adds `q`, a case-insensitive search over `search_fields`, and, on archivable records, `archived`
    (active rows unless `archived=archived` or `archived=all` is asked for)."""

    search_fields: tuple[str, ...] = ()
    q = django_filters.CharFilter(method="search", label="Search")
    owner = OwnerFilter(queryset=_org_users, widget=people_picker())
    archived = django_filters.ChoiceFilter(
        choices=ARCHIVED_CHOICES, method="filter_archived", label="Archived", empty_label=None
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not hasattr(self._meta.model, "archived_at"):
            self.filters.pop("archived", None)

    def filter_archived(self, queryset, name, value):
        return queryset  # applied in filter_queryset, so that no value still means "active"

    @property
    def qs(self):
        queryset = super().qs
        if not self.is_bound and "archived" in self.filters:
            # An unfiltered list (no query string at all) shows active rows too.
            queryset = queryset.filter(archived_at__isnull=True)
        return queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if "archived" in self.filters:
            choice = self.form.cleaned_data.get("archived") or "active"
            if choice == "active":
                queryset = queryset.filter(archived_at__isnull=True)
            elif choice == "archived":
                queryset = queryset.filter(archived_at__isnull=False)
        return queryset

    def search(self, queryset, name, value):
        condition = Q()
        for term in value.split():
            term_q = Q()
            for field in self.search_fields:
                term_q |= Q(**{f"{field}__icontains": term})
            condition &= term_q
        return queryset.filter(condition)


class AccountFilter(SearchFilterSet):
    search_fields = ("name", "description")
    ordering = django_filters.OrderingFilter(fields=("name", "created_at", "updated_at", "lifetime_value"))

    class Meta:
        model = Account
        fields = ["q", "owner", "archived"]


class ContactFilter(SearchFilterSet):
    search_fields = ("first_name", "last_name", "email", "phone", "job_title")
    gender = django_filters.ChoiceFilter(choices=Gender.choices)
    account = IdFilter(field_name="accounts")
    ordering = django_filters.OrderingFilter(fields=("last_name", "first_name", "email", "created_at", "updated_at"))

    class Meta:
        model = Contact
        fields = ["q", "owner", "archived", "gender", "account"]


class BusinessCustomerFilter(SearchFilterSet):
    search_fields = ("name", "email")
    archived = None  # not archivable: no such parameter
    account = IdFilter(field_name="account")
    ordering = django_filters.OrderingFilter(fields=("name", "created_at", "lifetime_value"))

    class Meta:
        model = BusinessCustomer
        fields = ["q", "owner", "account"]


class LeadFilter(SearchFilterSet):
    search_fields = ("name", "first_name", "last_name", "company_name", "email")
    status = django_filters.MultipleChoiceFilter(choices=LeadStatus.choices, widget=choices_picker("Any status"))
    source = django_filters.CharFilter(lookup_expr="iexact")
    ordering = django_filters.OrderingFilter(fields=("name", "status", "created_at"))

    class Meta:
        model = Lead
        fields = ["q", "owner", "archived", "status", "source"]


class OpportunityFilter(SearchFilterSet):
    search_fields = ("name", "account__name")
    status = django_filters.MultipleChoiceFilter(choices=OpportunityStatus.choices, widget=choices_picker("Any status"))
    account = IdFilter(field_name="account")
    expected_close_date = django_filters.DateFromToRangeFilter()
    ordering = django_filters.OrderingFilter(
        fields=("name", "status", "expected_close_date", "budget_amount_base", "probability", "created_at")
    )

    class Meta:
        model = Opportunity
        fields = ["q", "owner", "archived", "status", "account", "expected_close_date"]


class InRangeDateTimeRangeField(UTCDateTimeRangeField):
    """Date and time bounds in the years the CRM accepts (1900 to 2200)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields:
            field.validators.append(validate_in_range)


class InRangeDateTimeFromToRangeFilter(DateTimeFromToRangeFilter):
    """`<name>_after` / `<name>_before` bounds, refused outside the accepted years, naming the field."""

    field_class = InRangeDateTimeRangeField


class TaskFilter(SearchFilterSet):
    search_fields = ("subject", "description")
    status = django_filters.MultipleChoiceFilter(choices=TaskStatus.choices, widget=choices_picker("Any status"))
    priority = django_filters.MultipleChoiceFilter(choices=TaskPriority.choices, widget=choices_picker("Any priority"))
    due_at = InRangeDateTimeFromToRangeFilter()
    ordering = django_filters.OrderingFilter(fields=("due_at", "priority", "status", "created_at"))

    class Meta:
        model = Task
        fields = ["q", "owner", "archived", "status", "priority", "due_at"]


class EventFilter(SearchFilterSet):
    search_fields = ("title", "location", "description")
    start = InRangeDateTimeFromToRangeFilter()
    ordering = django_filters.OrderingFilter(fields=("start", "title", "created_at"))

    class Meta:
        model = CalendarEvent
        fields = ["q", "owner", "archived", "start", "all_day"]


class NoteFilter(SearchFilterSet):
    search_fields = ("text",)
    archived = None  # not archivable: no such parameter
    ordering = django_filters.OrderingFilter(fields=("created_at",))

    class Meta:
        model = Note
        fields = ["q", "owner"]
