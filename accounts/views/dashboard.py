"""The home page: a rep's day at a glance, or a manager's team (one rep at a time on request)."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from accounts.selectors.dashboard import dashboard_get

# A recently viewed record's page and kind, by its record type.
RECORD_PAGES = {
    "account": ("accounts:account-detail", "account"),
    "contact": ("accounts:contact-detail", "contact"),
    "businesscustomer": ("accounts:businesscustomer-detail", "business customer"),
    "lead": ("accounts:lead-detail", "lead"),
    "opportunity": ("accounts:opportunity-detail", "opportunity"),
}


def _address(name: str, **query) -> str:
    query = {key: value for key, value in query.items() if value not in (None, "", [])}
    return reverse(name) + (f"?{urlencode(query, doseq=True)}" if query else "")


@login_required
@require_http_methods(["GET"])
def dashboard(request):
    """Tasks, next events, open pipeline, deals closing this month and recently viewed records, each linked."""
    owner_param = request.GET.get("owner", "")
    owner_id = int(owner_param) if owner_param.isdecimal() and len(owner_param) < 12 else None
    board = dashboard_get(actor=request.user, owner_id=owner_id)
    owner = board.owner.pk if board.owner is not None else None
    own = board.owner is not None and board.owner.pk == request.user.pk
    links = {
        "tasks": reverse("accounts:my-tasks") if own else _address("accounts:task-list", owner=owner),
        "calendar": _address("accounts:calendar", owner=None if own else owner),
        "pipeline": _address("accounts:pipeline", owner=owner),
        "closing": _address(
            "accounts:opportunity-list",
            owner=owner,
            expected_close_date_after=board.month_start.isoformat(),
            expected_close_date_before=board.month_end.isoformat(),
            ordering="expected_close_date",
        ),
    }
    pipeline = [
        {"row": row, "url": _address("accounts:opportunity-list", owner=owner, status=row.status)}
        for row in board.pipeline
    ]
    recent = [
        {
            "entry": entry,
            "url": reverse(RECORD_PAGES[entry.record_type][0], args=[entry.record_id]),
            "kind": RECORD_PAGES[entry.record_type][1],
        }
        for entry in board.recently_viewed
        if entry.record_type in RECORD_PAGES
    ]
    return render(
        request,
        "accounts/dashboard.html",
        {"dashboard": board, "links": links, "pipeline": pipeline, "recent": recent, "own": own},
    )
