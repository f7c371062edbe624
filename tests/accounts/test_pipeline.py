"""The pipeline board: columns per status, moving cards (drag and drop or the status form), access, query counts."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from accounts.choices import OpportunityStatus
from accounts.models import Opportunity
from tests.factories import OpportunityFactory, UserFactory

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


def board_url() -> str:
    return reverse("accounts:pipeline")


def move_url(opportunity) -> str:
    return reverse("accounts:pipeline-move", args=[opportunity.pk])


def column_html(html: str, status: str) -> str:
    """The markup of one column of the board."""
    match = re.search(rf'<section class="pipeline-column[^"]*" data-status="{status}".*?</section>', html, re.S)
    assert match, f"no {status} column"
    return match.group(0)


@pytest.fixture
def rep2(organization):
    return UserFactory(username="rep2", organization=organization, first_name="Rita", last_name="Second")


def test_board_has_a_column_per_status_in_pipeline_order_with_cards_and_totals(session_client, rep, rep2):
    OpportunityFactory(owner=rep, name="Alpha deal", budget_amount=Decimal("1000.00"), probability=Decimal("10"))
    OpportunityFactory(
        owner=rep2,
        name="Beta deal",
        budget_amount=Decimal("2500.50"),
        probability=Decimal("35"),
        expected_close_date=None,
    )
    OpportunityFactory(
        owner=rep,
        name="Gamma deal",
        status=OpportunityStatus.NEGOTIATION,
        probability=Decimal("80"),
        budget_amount=Decimal("300.00"),
    )
    response = session_client(rep).get(board_url(), {"everyone": "1"})
    assert response.status_code == 200
    html = response.content.decode()
    statuses = re.findall(r'<section class="pipeline-column[^"]*" data-status="([a-z_]+)"', html)
    assert statuses == OpportunityStatus.values
    in_progress = column_html(html, "in_progress")
    assert "Alpha deal" in in_progress and "Beta deal" in in_progress and "Gamma deal" not in in_progress
    assert 'data-role="count" title="Opportunities in the column, not only the cards shown">2</span>' in in_progress
    assert 'data-role="total">3,500.50<' in in_progress
    assert 'data-role="weighted">975.18<' in in_progress  # 100.00 + 875.175 -> 875.18
    negotiation = column_html(html, "negotiation")
    assert "Gamma deal" in negotiation and 'data-role="weighted">240.00<' in negotiation
    assert "Rita Second" in in_progress  # the owner on the card
    assert "accounts/pipeline.js" in html


def test_board_filters_by_owner(session_client, rep, rep2):
    OpportunityFactory(owner=rep, name="Mine")
    OpportunityFactory(owner=rep2, name="Theirs")
    html = session_client(rep).get(board_url(), {"owner": [rep2.pk]}).content.decode()
    assert "Theirs" in html and "Mine" not in html


def test_board_reports_a_bad_owner_filter_and_shows_everyone(session_client, rep, outsider):
    OpportunityFactory(owner=rep, name="Mine")
    response = session_client(rep).get(board_url(), {"owner": [outsider.pk]})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-error-for="owner"' in html and "Mine" in html


def test_board_never_shows_another_organizations_deals(session_client, rep, outsider):
    OpportunityFactory(owner=rep, name="Acme deal")
    OpportunityFactory(owner=outsider, name="Globex secret")
    html = session_client(rep).get(board_url()).content.decode()
    assert "Acme deal" in html
    assert "Globex secret" not in html


def test_closed_columns_hold_recently_closed_deals_only(session_client, rep):
    OpportunityFactory(owner=rep, name="Won lately", status=OpportunityStatus.WON, closed_at=timezone.now())
    OpportunityFactory(
        owner=rep,
        name="Won long ago",
        status=OpportunityStatus.WON,
        closed_at=timezone.now() - dt.timedelta(days=400),
    )
    won = column_html(session_client(rep).get(board_url()).content.decode(), "won")
    assert "Won lately" in won and "Won long ago" not in won


def test_cards_the_user_may_not_change_are_not_draggable(session_client, rep, rep2):
    mine = OpportunityFactory(owner=rep, name="Mine")
    theirs = OpportunityFactory(owner=rep2, name="Theirs")
    html = session_client(rep).get(board_url(), {"everyone": "1"}).content.decode()
    assert re.search(rf'data-opportunity-id="{mine.pk}"[^>]*draggable="true"', html, re.S)
    assert re.search(rf'data-opportunity-id="{theirs.pk}"[^>]*draggable="false"', html, re.S)
    assert f'href="{move_url(mine)}?next=' in html  # the plain form fallback
    assert f'href="{move_url(theirs)}?next=' not in html
    assert html.count("<select") == 3  # the owner and order filters, and the board's one move form


def test_managers_may_drag_every_card(session_client, manager, rep2):
    theirs = OpportunityFactory(owner=rep2)
    html = session_client(manager).get(board_url()).content.decode()
    assert re.search(rf'data-opportunity-id="{theirs.pk}"[^>]*draggable="true"', html, re.S)


# ---------------------------------------------------------------- moving a card


def test_moving_a_card_changes_status_and_default_probability(session_client, rep):
    opportunity = OpportunityFactory(owner=rep, probability=Decimal("10"), budget_amount=Decimal("2000.00"))
    response = session_client(rep).post(move_url(opportunity), {"status": "negotiation"}, **JSON)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "negotiation" and body["status_label"] == "Negotiation"
    assert Decimal(body["probability"]) == Decimal("80") and body["weighted"] == "1600.00"
    assert f'data-opportunity-id="{opportunity.pk}"' in body["card_html"]
    assert f'href="{move_url(opportunity)}?next=' in body["card_html"]
    opportunity.refresh_from_db()
    assert opportunity.status == "negotiation" and opportunity.probability == Decimal("80")


def test_moving_keeps_a_reps_own_probability(session_client, rep):
    opportunity = OpportunityFactory(owner=rep, status=OpportunityStatus.NEEDS_ANALYSIS, probability=Decimal("45"))
    session_client(rep).post(move_url(opportunity), {"status": "solution_development"}, **JSON)
    opportunity.refresh_from_db()
    assert opportunity.status == "solution_development" and opportunity.probability == Decimal("45")


def test_moving_to_won_closes_the_deal(session_client, rep):
    opportunity = OpportunityFactory(owner=rep)
    response = session_client(rep).post(move_url(opportunity), {"status": "won"}, **JSON)
    assert response.status_code == 200
    opportunity.refresh_from_db()
    assert opportunity.status == "won" and opportunity.probability == 100 and opportunity.closed_at is not None


def test_a_rep_cannot_move_another_reps_card(session_client, rep, rep2):
    theirs = OpportunityFactory(owner=rep2, probability=Decimal("10"))
    response = session_client(rep).post(move_url(theirs), {"status": "won"}, **JSON)
    assert response.status_code == 403
    assert "own" in response.json()["error"]
    theirs.refresh_from_db()
    assert theirs.status == "in_progress" and theirs.probability == 10


def test_an_unknown_status_is_refused(session_client, rep):
    opportunity = OpportunityFactory(owner=rep)
    response = session_client(rep).post(move_url(opportunity), {"status": "sold"}, **JSON)
    assert response.status_code == 400 and "Unknown status" in response.json()["error"]
    opportunity.refresh_from_db()
    assert opportunity.status == "in_progress"


def test_another_organizations_card_is_not_found(session_client, rep, outsider):
    foreign = OpportunityFactory(owner=outsider)
    assert session_client(rep).post(move_url(foreign), {"status": "won"}, **JSON).status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == "in_progress"


def test_move_page_is_the_plain_form_and_other_methods_are_refused(session_client, rep, rep2):
    opportunity = OpportunityFactory(owner=rep)
    client = session_client(rep)
    html = client.get(move_url(opportunity), {"next": "/crm/pipeline/?everyone=1"}).content.decode()
    assert f'action="{move_url(opportunity)}"' in html and '<option value="in_progress" selected>' in html
    assert 'name="next" value="/crm/pipeline/?everyone=1"' in html
    assert client.put(move_url(opportunity)).status_code == 405
    theirs = client.get(move_url(OpportunityFactory(owner=rep2))).content.decode()
    assert "Only its owner" in theirs and 'name="status"' not in theirs


def test_status_form_without_script_moves_and_comes_back_to_the_board(session_client, rep):
    opportunity = OpportunityFactory(owner=rep)
    client = session_client(rep)
    back = reverse("accounts:pipeline") + f"?owner={rep.pk}"
    response = client.post(move_url(opportunity), {"status": "needs_analysis", "next": back})
    assert response.status_code == 302 and response.url == back
    assert [str(m) for m in get_messages(response.wsgi_request)] == [f"{opportunity.name} moved to Needs analysis."]
    assert Opportunity.objects.get(pk=opportunity.pk).probability == 40


def test_status_form_refusal_is_a_message_not_an_error_page(session_client, rep, rep2):
    theirs = OpportunityFactory(owner=rep2)
    response = session_client(rep).post(move_url(theirs), {"status": "won", "next": "https://evil.example/"})
    assert response.status_code == 302 and response.url == reverse("accounts:pipeline")
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert len(messages) == 1 and "own" in messages[0]
    assert Opportunity.objects.get(pk=theirs.pk).status == "in_progress"
