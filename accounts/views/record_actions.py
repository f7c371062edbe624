"""Actions on a whole record list: bulk reassign and bulk delete of the ticked rows, CSV export.

The export reads the list the page shows (same FilterSet, same ordering, same organization scope)
and streams it in chunks, up to EXPORT_MAX_ROWS rows (accounts/views/exports.py).
"""

import re
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from accounts import selectors
from accounts.filters import TaskFilter
from accounts.services.bulk import BULK_MAX_RECORDS, records_delete, records_reassign
from accounts.views.common import filtered_rows
from accounts.views.exports import csv_response
from accounts.views.records import RecordView
from backoffice.models import User

WHOLE_NUMBER = re.compile(r"[0-9]{1,18}")


def _text(value) -> str:
    return "" if value is None else str(value)


def _date(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "tzinfo"):
        value = timezone.localtime(value)
    return value.isoformat()


def _owner(row) -> str:
    return row.owner.display_name


# Columns of each list's CSV: (header, value of a row). Related rows are those the list selector loads.
EXPORT_COLUMNS: dict[str, tuple[tuple[str, Callable], ...]] = {
    "account": (
        ("Name", lambda r: r.name),
        ("Owner", _owner),
        ("Default contact", lambda r: _text(r.default_contact)),
        ("Lifetime sales value", lambda r: _text(r.lifetime_value)),
        ("Updated", lambda r: _date(r.updated_at)),
    ),
    "contact": (
        ("Name", lambda r: r.full_name),
        ("Accounts", lambda r: "; ".join(account.name for account in r.accounts.all())),
        ("Job title", lambda r: r.job_title),
        ("E-mail", lambda r: r.email),
        ("Phone", lambda r: r.phone.as_international if r.phone else ""),
        ("Owner", _owner),
        ("Updated", lambda r: _date(r.updated_at)),
    ),
    "businesscustomer": (
        ("Name", lambda r: r.name),
        ("Account", lambda r: r.account.name),
        ("Contact", lambda r: _text(r.contact)),
        ("E-mail", lambda r: r.email),
        ("Owner", _owner),
        ("Lifetime sales value", lambda r: _text(r.lifetime_value)),
    ),
    "lead": (
        ("Name", lambda r: r.name),
        ("Person", lambda r: f"{r.first_name} {r.last_name}".strip()),
        ("Company", lambda r: r.company_name),
        ("E-mail", lambda r: r.email),
        ("Status", lambda r: r.get_status_display()),
        ("Source", lambda r: r.source),
        ("Owner", _owner),
        ("Created", lambda r: _date(r.created_at)),
    ),
    "opportunity": (
        ("Name", lambda r: r.name),
        ("Account", lambda r: r.account.name),
        ("Status", lambda r: r.get_status_display()),
        ("Probability (%)", lambda r: _text(r.probability)),
        ("Budget", lambda r: _text(r.budget_amount)),
        ("Currency", lambda r: r.budget_currency),
        ("Expected close", lambda r: _date(r.expected_close_date)),
        ("Owner", _owner),
    ),
}


def _bulk(request, *, rows, label_plural: str, list_url: str) -> HttpResponseRedirect:
    """Reassign or delete the ticked rows (ids) among `rows`, one by one through the services, and say how it went."""
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}) or not back.startswith("/"):
        back = list_url
    ids = [int(value) for value in request.POST.getlist("ids") if WHOLE_NUMBER.fullmatch(value)]
    if not ids:
        messages.warning(request, f"Tick the {label_plural.lower()} to change first.")
        return HttpResponseRedirect(back)
    if len(ids) > BULK_MAX_RECORDS:
        messages.error(request, f"At most {BULK_MAX_RECORDS} records at once (got {len(ids)}).")
        return HttpResponseRedirect(back)
    instances = rows.filter(pk__in=ids).order_by("pk")
    action = request.POST.get("action")
    if action == "reassign":
        owner_id = request.POST.get("owner", "")
        owner = (
            User.objects.filter(organization_id=request.user.organization_id, pk=owner_id).first()
            if WHOLE_NUMBER.fullmatch(owner_id)
            else None
        )
        if owner is None:
            messages.error(request, "Choose the new owner: a user of your organization.")
            return HttpResponseRedirect(back)
        outcome = records_reassign(actor=request.user, instances=instances, owner=owner)
    elif action == "delete":
        outcome = records_delete(actor=request.user, instances=instances)
    else:
        messages.error(request, "Choose an action: reassign or delete.")
        return HttpResponseRedirect(back)
    missing = len(ids) - len(outcome.done) - len(outcome.refused)
    if missing > 0:
        outcome.refused.append((f"{missing} more", "not found"))
    level = messages.success if not outcome.refused else messages.warning
    level(request, outcome.summary())
    return HttpResponseRedirect(back)


class RecordExportView(RecordView):
    """The filtered list as CSV, in the page's order, streamed; at most EXPORT_MAX_ROWS rows."""

    def get(self, request):
        record_type = self.record_type
        _, rows = filtered_rows(request, record_type.filterset, record_type.list_selector(actor=request.user))
        filename = record_type.label_plural.lower().replace(" ", "-")
        return csv_response(rows, EXPORT_COLUMNS[record_type.key], filename)


class RecordBulkView(RecordView):
    """Reassign or delete the ticked rows of a list, one by one through the services; says what was refused."""

    def post(self, request):
        record_type = self.record_type
        return _bulk(
            request,
            rows=record_type.list_selector(actor=request.user),
            label_plural=record_type.label_plural,
            list_url=record_type.url("list"),
        )


TASK_COLUMNS = (
    ("Subject", lambda r: r.subject),
    ("Due", lambda r: _date(r.due_at)),
    ("Status", lambda r: r.get_status_display()),
    ("Priority", lambda r: r.get_priority_display()),
    ("Owner", _owner),
    ("Related to", lambda r: _text(r.related)),
)


@login_required
@require_GET
def task_export(request):
    """The filtered task list as CSV, in the page's order."""
    queryset = selectors.task_list(actor=request.user).prefetch_related("related")
    _, rows = filtered_rows(request, TaskFilter, queryset)
    return csv_response(rows, TASK_COLUMNS, "tasks")


@login_required
@require_POST
def task_bulk(request):
    """Reassign or delete the ticked tasks, through the task services, one by one."""
    return _bulk(
        request,
        rows=selectors.task_list(actor=request.user),
        label_plural="Tasks",
        list_url=reverse("accounts:task-list"),
    )
