"""The pipeline board at any size: figures summed in SQL, the first cards of each column, the next ones by
keyset, the filters, and query counts that do not grow with the deals."""

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import connection, models
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.choices import OpportunityStatus
from accounts.models import Opportunity
from accounts.selectors.pipeline import BOARD_PAGE
from tests.conftest import need_service
from tests.factories import AccountFactory, OpportunityFactory, UserFactory

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}
HTMX = {"HTTP_HX_REQUEST": "true"}
# Session, user, organization (its currency), the columns' totals (open ones and closed ones by day, one
# UNION), first cards by status (the owner picker reads only the owners chosen, none here: it searches the others).
BOARD_QUERIES = 5
# Session, user, organization, the page of cards.
MORE_QUERIES = 4
# Session, user, the deal, then the status change with its history and change log (savepoints included).
MOVE_QUERIES_AT_MOST = 22


def board_url() -> str:
    return reverse("accounts:pipeline")


def more_url() -> str:
    return reverse("accounts:pipeline-column")


@pytest.fixture
def rep2(organization):
    return UserFactory(username="rep2", organization=organization, first_name="Rita", last_name="Second")


def bulk_deals(owner, per_status: int, *, start: int = 0, **fields) -> list[Opportunity]:
    """`per_status` deals in each status for this owner, with varied amounts, probabilities and close dates
    (ties and missing dates included), written in one statement."""
    account = AccountFactory(owner=owner)
    today = timezone.localdate()
    deals = []
    for status in OpportunityStatus.values:
        for i in range(start, start + per_status):
            amount = None if i % 9 == 4 else Decimal(100 + (i * 37) % 900) + Decimal("0.35")
            values = {
                "organization": owner.organization,
                "owner": owner,
                "account": account,
                "name": f"{status} deal {owner.username} {i}",
                "status": status,
                "probability": Decimal((i * 13) % 101),
                "budget_amount": amount,
                "budget_currency": "USD",
                "budget_amount_base": amount,
                "expected_close_date": None if i % 7 == 3 else today + dt.timedelta(days=i % 5),
                "closed_at": timezone.now() - dt.timedelta(days=i % 3) if status in ("won", "lost") else None,
            }
            values.update(fields)
            deals.append(Opportunity(**values))
    return Opportunity.objects.bulk_create(deals)


def column_html(html: str, status: str) -> str:
    match = re.search(rf'<section class="pipeline-column[^"]*" data-status="{status}".*?</section>', html, re.S)
    assert match, f"no {status} column"
    return match.group(0)


def card_ids(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-opportunity-id="(\d+)"', html)]


def more_link(html: str) -> str | None:
    match = re.search(r'class="[^"]*pipeline-more"[^>]*hx-get="([^"]+)"', html)
    return match.group(1).replace("&amp;", "&") if match else None


def expected_order(rows, order: str = "close_date") -> list[int]:
    from django.db.models import F

    if order == "amount":
        return list(rows.order_by(F("budget_amount_base").desc(nulls_last=True), "id").values_list("id", flat=True))
    return list(rows.order_by(F("expected_close_date").asc(nulls_last=True), "id").values_list("id", flat=True))


def page_through(client, first_html: str) -> list[int]:
    """Every card of a column: those on the board, then each "Load more" page in turn."""
    ids = card_ids(first_html)
    link = more_link(first_html)
    pages = 0
    while link:
        response = client.get(link, **HTMX)
        assert response.status_code == 200
        fragment = response.content.decode()
        ids += card_ids(fragment)
        link = more_link(fragment)
        pages += 1
        assert pages < 50
    return ids


# ---------------------------------------------------------------- figures and first cards


def test_totals_cover_every_deal_of_the_column_and_match_sql_sums(session_client, manager, rep, rep2):
    bulk_deals(rep, 40)
    bulk_deals(rep2, 3)
    old = bulk_deals(rep, 2, start=100, closed_at=timezone.now() - dt.timedelta(days=200))  # closed long ago
    old_open = [deal for deal in old if deal.status not in ("won", "lost")]
    html = session_client(manager).get(board_url()).content.decode()
    since = timezone.now() - dt.timedelta(days=90)
    for status in OpportunityStatus.values:
        column = column_html(html, status)
        rows = Opportunity.objects.filter(organization=rep.organization, status=status)
        if status in ("won", "lost"):
            rows = rows.filter(closed_at__gte=since)
            assert "Closed in the last 90 days" in column
        total = rows.aggregate(total=Sum("budget_amount_base"))["total"]
        weighted = sum(
            (
                (deal.budget_amount_base * deal.probability / 100).quantize(Decimal("0.01"), ROUND_HALF_UP)
                for deal in rows
                if deal.budget_amount_base is not None
            ),
            Decimal("0.00"),
        )
        assert f'data-count="{rows.count()}"' in column
        assert f'data-role="total">{total:,.2f}<' in column
        assert f'data-role="weighted">{weighted:,.2f}<' in column
        assert len(card_ids(column)) == BOARD_PAGE
        assert card_ids(column) == expected_order(rows)[:BOARD_PAGE]
    assert len(old_open) == 10  # open deals are on the board however old their close


def test_columns_with_few_deals_have_no_load_more(session_client, rep):
    bulk_deals(rep, 3)
    html = session_client(rep).get(board_url()).content.decode()
    assert "pipeline-more" not in html
    assert len(card_ids(column_html(html, "negotiation"))) == 3


@pytest.mark.parametrize("order", ["close_date", "amount"])
def test_load_more_pages_through_a_column_without_duplicates_or_gaps(session_client, rep, order):
    bulk_deals(rep, 3 * BOARD_PAGE + 7)
    client = session_client(rep)
    html = client.get(board_url(), {"order": order}).content.decode()
    column = column_html(html, "needs_analysis")
    ids = page_through(client, column)
    rows = Opportunity.objects.filter(owner=rep, status="needs_analysis")
    assert ids == expected_order(rows, order)
    assert len(ids) == len(set(ids)) == 3 * BOARD_PAGE + 7


def test_load_more_keeps_the_filters(session_client, rep, rep2):
    bulk_deals(rep, 2 * BOARD_PAGE)
    bulk_deals(rep2, 4 * BOARD_PAGE)
    client = session_client(rep)
    html = client.get(board_url(), {"owner": [rep2.pk], "amount_min": "300"}).content.decode()
    ids = page_through(client, column_html(html, "in_progress"))
    second = client.get(more_link(column_html(html, "in_progress")), **HTMX).content.decode()
    assert more_link(second).count("status=") == 1 and more_link(second).count("after=") == 1
    rows = Opportunity.objects.filter(owner=rep2, status="in_progress", budget_amount_base__gte=300)
    assert ids == expected_order(rows) and ids


def test_load_more_without_scripts_is_a_page_with_a_link_to_the_next(session_client, rep):
    bulk_deals(rep, 2 * BOARD_PAGE + 1)
    client = session_client(rep)
    html = client.get(board_url()).content.decode()
    link = more_link(column_html(html, "won"))
    page = client.get(link)
    assert page.status_code == 200
    body = page.content.decode()
    assert "<html" in body and "Closed won" in body and len(card_ids(body)) == BOARD_PAGE
    assert "Back to the board" in body


@pytest.mark.parametrize(
    "query",
    [
        {"status": "sold"},
        {"status": "won", "after": "nonsense"},
        {"status": "won", "after": "0001-01-01~5"},
        {"status": "won", "after": "2026-01-01~99999999999999999999999"},
        {"status": "won", "after": "abc~5", "order": "amount"},
        {"status": "won", "after": "NaN~5", "order": "amount"},
        {"status": "won", "close_from": "3000-01-01"},
    ],
)
def test_load_more_answers_bad_input_with_a_message(session_client, rep, query):
    client = session_client(rep)
    fragment = client.get(more_url(), query, **HTMX)
    assert fragment.status_code == 400 and "data-error-for" in fragment.content.decode()
    page = client.get(more_url(), query)
    assert page.status_code == 400 and "data-error-for" in page.content.decode()


# ---------------------------------------------------------------- filters and access


def test_a_rep_sees_own_deals_by_default_and_the_team_on_demand(session_client, rep, rep2, outsider):
    OpportunityFactory(owner=rep, name="Mine")
    OpportunityFactory(owner=rep2, name="Theirs")
    OpportunityFactory(owner=outsider, name="Globex secret")
    client = session_client(rep)
    html = client.get(board_url()).content.decode()
    assert "Mine" in html and "Theirs" not in html
    team = client.get(board_url(), {"everyone": "1"}).content.decode()
    assert "Mine" in team and "Theirs" in team and "Globex secret" not in team
    chosen = client.get(board_url(), {"owner": [rep2.pk]}).content.decode()
    assert "Theirs" in chosen and "Mine" not in chosen


def test_a_manager_sees_the_whole_team_by_default(session_client, manager, rep, rep2, outsider):
    OpportunityFactory(owner=rep, name="Mine")
    OpportunityFactory(owner=rep2, name="Theirs")
    OpportunityFactory(owner=outsider, name="Globex secret")
    html = session_client(manager).get(board_url()).content.decode()
    assert "Mine" in html and "Theirs" in html and "Globex secret" not in html


def test_no_page_of_another_organization_can_be_loaded(session_client, rep, outsider):
    bulk_deals(outsider, BOARD_PAGE + 5)
    client = session_client(rep)
    response = client.get(more_url(), {"status": "won", "everyone": "1"}, **HTMX)
    assert response.status_code == 200 and card_ids(response.content.decode()) == []
    assert client.get(more_url(), {"status": "won", "owner": [outsider.pk]}, **HTMX).status_code == 400


def test_filters_by_close_range_and_amount(session_client, rep):
    today = timezone.localdate()
    OpportunityFactory(owner=rep, name="Early small", expected_close_date=today, budget_amount=Decimal("100"))
    late = today + dt.timedelta(days=60)
    OpportunityFactory(owner=rep, name="Late big", expected_close_date=late, budget_amount=5000)
    OpportunityFactory(owner=rep, name="Undated", expected_close_date=None, budget_amount=Decimal("700"))
    client = session_client(rep)
    late = client.get(board_url(), {"close_from": (today + dt.timedelta(days=1)).isoformat()}).content.decode()
    assert "Late big" in late and "Early small" not in late and "Undated" not in late
    early = client.get(board_url(), {"close_to": today.isoformat()}).content.decode()
    assert "Early small" in early and "Late big" not in early
    middle = client.get(board_url(), {"amount_min": "500", "amount_max": "1000"}).content.decode()
    assert "Undated" in middle and "Early small" not in middle and "Late big" not in middle
    assert 'data-role="total">700.00<' in column_html(middle, "in_progress")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"close_from": "0001-01-01"}, "close_from"),
        ({"close_to": "9999-12-31"}, "close_to"),
        ({"close_from": "2026-05-01", "close_to": "2026-04-01"}, "close_to"),
        ({"close_from": "yesterday"}, "close_from"),
        ({"amount_min": "abc"}, "amount_min"),
        ({"amount_min": "-5"}, "amount_min"),
        ({"amount_max": "1e30"}, "amount_max"),
        ({"amount_min": "900", "amount_max": "100"}, "amount_max"),
        ({"order": "name"}, "order"),
        ({"owner": ["x"]}, "owner"),
    ],
)
def test_bad_filters_are_form_errors_and_the_board_falls_back_to_its_default(session_client, rep, query, field):
    OpportunityFactory(owner=rep, name="Mine")
    response = session_client(rep).get(board_url(), query)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-error-for="{field}"' in html and "Mine" in html
    assert "pipeline-more" not in html


# ---------------------------------------------------------------- queries at two sizes


@pytest.mark.parametrize("who", ["rep", "manager"])
def test_board_queries_are_the_same_at_two_sizes(session_client, rep, rep2, manager, who, django_assert_num_queries):
    # On SQLite, which cannot LIMIT the parts of a UNION, the cards take a query per status.
    need_service(connection.vendor == "postgresql", "PostgreSQL")
    user = {"rep": rep, "manager": manager}[who]
    client = session_client(user)
    client.get(board_url())  # the session's first read
    bulk_deals(rep, 5)
    bulk_deals(rep2, 5)
    with django_assert_num_queries(BOARD_QUERIES):
        small = client.get(board_url())
    bulk_deals(rep, 40, start=5)
    bulk_deals(rep2, 40, start=5)
    with django_assert_num_queries(BOARD_QUERIES):
        large = client.get(board_url())
    assert len(card_ids(large.content.decode())) > len(card_ids(small.content.decode()))
    # Filtered by date and amount, the matching deals are summed in one query, as the kept totals are; the
    # chosen owners are looked up (once to check them, once to name them in the picker).
    with django_assert_num_queries(BOARD_QUERIES + 2):
        client.get(board_url(), {"owner": [rep.pk, rep2.pk], "close_from": "2000-01-01", "amount_min": "1"})


@pytest.mark.parametrize("who", ["rep", "manager"])
def test_load_more_queries_are_the_same_at_two_sizes(session_client, rep, manager, who, django_assert_num_queries):
    client = session_client({"rep": rep, "manager": manager}[who])
    bulk_deals(rep, BOARD_PAGE + 5)
    html = client.get(board_url()).content.decode()
    link = more_link(column_html(html, "in_progress"))
    with django_assert_num_queries(MORE_QUERIES):
        client.get(link, **HTMX)
    bulk_deals(rep, 40, start=BOARD_PAGE + 5)
    with django_assert_num_queries(MORE_QUERIES):
        client.get(link, **HTMX)


def test_move_queries_are_the_same_at_two_sizes(session_client, rep):
    """The status change itself is the service's (its own count is pinned with the writes); the move adds
    the session, the user, the deal and its read-back, whatever the size of the board."""
    client = session_client(rep)
    bulk_deals(rep, 5)
    first, second = OpportunityFactory(owner=rep), OpportunityFactory(owner=rep)
    client.get(board_url())

    def move(deal) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.post(reverse("accounts:pipeline-move", args=[deal.pk]), {"status": "negotiation"}, **JSON)
        assert response.status_code == 200
        return len(captured)

    small = move(first)
    bulk_deals(rep, 40, start=5)
    assert move(second) == small <= MOVE_QUERIES_AT_MOST


def test_pipeline_totals_follow_every_write_path(rep, rep2, manager):
    """The database-kept totals of open deals equal the deals themselves after writes of every kind."""
    need_service(connection.vendor == "postgresql", "PostgreSQL")
    from accounts.models import PipelineTotal
    from accounts.selectors.pipeline import WEIGHTED
    from accounts.services import opportunity_change_status, opportunity_delete, opportunity_save, record_archive

    deals = bulk_deals(rep, 4) + bulk_deals(rep2, 3)
    opportunity_change_status(actor=rep, opportunity=deals[0], status=OpportunityStatus.NEGOTIATION)
    opportunity_save(actor=manager, opportunity=deals[1], data={"owner": rep2, "budget_amount": Decimal("999.99")})
    opportunity_save(actor=rep, opportunity=deals[2], data={"probability": Decimal(33)})
    record_archive(actor=rep, instance=deals[3])
    opportunity_delete(actor=rep, opportunity=deals[4])
    Opportunity.objects.filter(pk__in=[deals[5].pk, deals[6].pk]).update(status=OpportunityStatus.WON)
    Opportunity.objects.filter(owner=rep2, status=OpportunityStatus.IN_PROGRESS).update(owner=rep)
    opportunity_save(actor=rep, data={"name": "Fresh", "account": deals[7].account, "budget_amount": Decimal(10)})

    kept = {
        (row.owner_id, row.status): (row.count, row.total, row.weighted)
        for row in PipelineTotal.objects.filter(organization=rep.organization)
        if row.count
    }
    live = {
        (row["owner_id"], row["status"]): (row["count"], row["total"] or Decimal(0), row["weighted"] or Decimal(0))
        for row in Opportunity.objects.filter(organization=rep.organization, archived_at__isnull=True)
        .exclude(status__in=[OpportunityStatus.WON, OpportunityStatus.LOST])
        .values("owner_id", "status")
        .annotate(count=models.Count("id"), total=models.Sum("budget_amount_base"), weighted=models.Sum(WEIGHTED))
    }
    assert kept == live


def test_closed_day_totals_follow_every_write_path(rep, rep2, manager):
    """The database-kept sums of won and lost deals per day of closing equal the deals themselves after
    writes of every kind: closing, reopening, moving the time of closing, changing owner, amount or
    probability, archiving, deleting, bulk updates."""
    need_service(connection.vendor == "postgresql", "PostgreSQL")
    from accounts.models import PipelineClosedDay
    from accounts.selectors.pipeline import WEIGHTED
    from accounts.services import opportunity_change_status, opportunity_delete, opportunity_save, record_archive

    deals = bulk_deals(rep, 3) + bulk_deals(rep2, 2)
    won = [deal for deal in deals if deal.status == OpportunityStatus.WON]
    lost = [deal for deal in deals if deal.status == OpportunityStatus.LOST]
    opportunity_change_status(actor=rep, opportunity=deals[0], status=OpportunityStatus.WON)
    opportunity_change_status(actor=rep, opportunity=won[0], status=OpportunityStatus.NEGOTIATION)  # reopened
    opportunity_save(actor=manager, opportunity=won[1], data={"owner": rep2, "budget_amount": Decimal("12.34")})
    record_archive(actor=rep, instance=won[2])
    opportunity_delete(actor=rep, opportunity=lost[0])
    Opportunity.objects.filter(pk=lost[1].pk).update(closed_at=timezone.now() - dt.timedelta(days=120))
    Opportunity.objects.filter(pk=lost[2].pk).update(closed_at=None)
    Opportunity.objects.filter(owner=rep2, status=OpportunityStatus.LOST).update(status=OpportunityStatus.WON)

    kept = {
        (row.owner_id, row.status, row.closed_on): (row.count, row.total, row.weighted)
        for row in PipelineClosedDay.objects.filter(organization=rep.organization)
        if row.count
    }
    live = {}
    for deal in Opportunity.objects.filter(
        organization=rep.organization,
        archived_at__isnull=True,
        status__in=[OpportunityStatus.WON, OpportunityStatus.LOST],
    ).annotate(weighted=WEIGHTED):
        day = deal.closed_at.astimezone(dt.UTC).date() if deal.closed_at else None
        count, total, weighted = live.get((deal.owner_id, deal.status, day), (0, Decimal("0.00"), Decimal("0.00")))
        live[(deal.owner_id, deal.status, day)] = (
            count + 1,
            total + (deal.budget_amount_base or 0),
            weighted + (deal.weighted or 0),
        )
    assert kept == live


@pytest.mark.parametrize("minutes", [-1, 1])
def test_the_closed_window_starts_at_midnight_utc_ninety_days_ago_in_figures_and_cards(session_client, rep, minutes):
    """A deal closed a minute after the window opens is counted and shown; a minute before, neither."""
    from accounts.selectors.pipeline import closed_since

    OpportunityFactory(
        owner=rep,
        name="Edge deal",
        status=OpportunityStatus.WON,
        closed_at=closed_since() + dt.timedelta(minutes=minutes),
    )
    won = column_html(session_client(rep).get(board_url()).content.decode(), "won")
    inside = minutes > 0
    assert ("Edge deal" in won) is inside
    assert f'data-count="{int(inside)}"' in won


def test_card_text_is_escaped_on_the_board_in_more_pages_and_after_a_move(session_client, rep):
    account = AccountFactory(owner=rep, name='Acme "<b>bold</b>"')
    deal = OpportunityFactory(owner=rep, account=account, name="<script>alert(1)</script>")
    client = session_client(rep)
    for page in (
        client.get(board_url()).content.decode(),
        client.get(reverse("accounts:pipeline-column"), {"status": deal.status}).content.decode(),
        client.post(reverse("accounts:pipeline-move", args=[deal.pk]), {"status": "negotiation"}, **JSON).json()[
            "card_html"
        ],
    ):
        assert "<script>alert(1)</script>" not in page and "<b>bold</b>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
