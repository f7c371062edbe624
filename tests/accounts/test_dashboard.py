"""The home page's dashboard: a rep's day, a manager's team with a switch per rep, a constant query count."""

import datetime as dt
import re
import zoneinfo
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.choices import TaskStatus
from backoffice.choices import Role
from tests.factories import AccountFactory, CalendarEventFactory, OpportunityFactory, TaskFactory
from tests.factories.core import UserFactory

pytestmark = pytest.mark.django_db


def local_today(user) -> dt.date:
    """Today where the user is (their organization's time zone): the dashboard's days are theirs."""
    return timezone.now().astimezone(zoneinfo.ZoneInfo(user.time_zone)).date()


def day_start(user) -> dt.datetime:
    return dt.datetime.combine(local_today(user), dt.time(0), zoneinfo.ZoneInfo(user.time_zone))


def block(html: str, block_id: str, end: str = "</section>") -> str:
    """The markup of one dashboard block (or list), so that each assertion reads the part it is about."""
    start = html.index(f'id="{block_id}"')
    return html[start : html.index(end, start)]


def pipeline_row(html: str, status: str) -> list[str]:
    row = re.search(rf'<tr data-status="{status}">(.*?)</tr>', html, re.S).group(1)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]


def make_day(owner, size: int) -> None:
    """`size` of each thing the dashboard shows, for `owner`."""
    start = day_start(owner)
    month_day = local_today(owner)
    for number in range(size):
        TaskFactory(owner=owner, subject=f"Overdue {owner.username} {number}", due_at=start - dt.timedelta(days=2))
        TaskFactory(owner=owner, subject=f"Today {owner.username} {number}", due_at=start + dt.timedelta(hours=12))
        CalendarEventFactory(
            owner=owner, title=f"Meeting {number}", start=timezone.now() + dt.timedelta(days=1, hours=number)
        )
        OpportunityFactory(
            owner=owner,
            status="negotiation",
            probability=Decimal(80),
            budget_amount=Decimal(1000),
            budget_amount_base=Decimal(1000),
            expected_close_date=month_day,
        )
    CalendarEventFactory(owner=owner, title="Weekly review", recurrence_rule="FREQ=WEEKLY", start=timezone.now())


def test_rep_sees_their_day_and_nobody_elses(session_client, rep, organization):
    other = UserFactory(username="other-rep", organization=organization, role=Role.REP)
    start = day_start(rep)
    TaskFactory(owner=rep, subject="Call Baldwin back", due_at=start - dt.timedelta(days=3))
    TaskFactory(owner=rep, subject="Send the quote", due_at=start + dt.timedelta(hours=23))
    TaskFactory(owner=rep, subject="Done already", due_at=start - dt.timedelta(days=1), status=TaskStatus.COMPLETED)
    TaskFactory(owner=rep, subject="Next week", due_at=start + dt.timedelta(days=7))
    TaskFactory(owner=other, subject="Someone else's chore", due_at=start - dt.timedelta(days=1))
    CalendarEventFactory(owner=rep, title="Demo at Baldwin", start=timezone.now() + dt.timedelta(days=2))
    CalendarEventFactory(owner=rep, title="Last month's lunch", start=timezone.now() - dt.timedelta(days=30))
    CalendarEventFactory(owner=other, title="Their meeting", start=timezone.now() + dt.timedelta(days=1))
    account = AccountFactory(owner=rep)
    OpportunityFactory(
        owner=rep,
        account=account,
        name="Closing soon",
        status="negotiation",
        probability=Decimal(80),
        budget_amount=Decimal(1000),
        budget_amount_base=Decimal(1000),
        expected_close_date=local_today(rep),
    )
    OpportunityFactory(
        owner=rep,
        account=account,
        name="Later deal",
        status="negotiation",
        probability=Decimal(50),
        budget_amount=Decimal(500),
        budget_amount_base=Decimal(500),
        expected_close_date=local_today(rep) + dt.timedelta(days=70),
    )
    OpportunityFactory(owner=other, name="Their deal", expected_close_date=local_today(rep))

    client = session_client(rep)
    # Opening a record puts it on the dashboard's "recently viewed".
    assert client.get(f"/crm/accounts/{account.pk}/").status_code == 200
    html = client.get("/").content.decode()

    tasks = block(html, "dashboard-tasks")
    assert "Call Baldwin back" in block(tasks, "overdue-tasks", "</ul>")
    assert "Send the quote" in block(tasks, "today-tasks", "</ul>")
    for hidden in ("Done already", "Next week", "Someone else"):
        assert hidden not in tasks
    assert 'href="/crm/tasks/mine/"' in tasks
    events = block(html, "dashboard-events")
    assert "Demo at Baldwin" in events and "Last month" not in events and "Their meeting" not in events
    assert pipeline_row(html, "negotiation") == ["Negotiation", "2", "1,500.00", "1,050.00"]
    assert "/crm/opportunities/?" in block(html, "dashboard-pipeline")
    closing = block(html, "dashboard-closing")
    assert "Closing soon" in closing and "Later deal" not in closing and "Their deal" not in closing
    assert "1 deal · 1,000.00 USD · weighted 800.00 USD" in closing
    recent = block(html, "dashboard-recent")
    assert account.name in recent and f'href="/crm/accounts/{account.pk}/"' in recent
    # A rep's dashboard is theirs: naming someone else changes nothing.
    assert "Someone else" not in client.get("/", {"owner": other.pk}).content.decode()


def test_manager_sees_the_team_and_switches_to_one_rep(session_client, manager, rep, organization):
    other = UserFactory(username="other-rep", first_name="Olga", last_name="Other", organization=organization)
    start = day_start(rep)
    TaskFactory(owner=rep, subject="Rep's overdue call", due_at=start - dt.timedelta(days=1))
    TaskFactory(owner=other, subject="Olga's overdue mail", due_at=start - dt.timedelta(days=1))
    client = session_client(manager)

    team = client.get("/").content.decode()
    assert "Rep&#x27;s overdue call" in team and "Olga&#x27;s overdue mail" in team
    # The switch is the people picker over the team: the page holds only the choice in force.
    switch = re.search(r'<select[^>]*id="dashboard-owner".*?</select>', team, re.S).group(0)
    assert f'data-picker-url="{reverse("accounts:picker", args=["team"])}"' in switch
    assert re.findall(r"<option[^>]*>([^<]*)</option>", switch) == ["Whole team"]

    one = client.get("/", {"owner": other.pk}).content.decode()
    assert "Olga&#x27;s overdue mail" in one and "Rep&#x27;s overdue call" not in one
    assert f"owner={other.pk}" in block(one, "dashboard-tasks")
    switch = re.search(r'<select[^>]*id="dashboard-owner".*?</select>', one, re.S).group(0)
    assert re.findall(r'<option value="(\d*)"( selected)?>([^<]*)</option>', switch) == [
        ("", "", "Whole team"),
        (str(other.pk), " selected", "Olga Other"),
    ]


def test_the_team_picker_offers_the_managers_team_only(session_client, manager, rep, org_admin, outsider):
    """Reps and managers of the organization, searched by name; never an admin, an outsider or, for a rep, anyone."""
    UserFactory(organization=manager.organization, role=Role.REP, first_name="Gone", is_active=False)
    url = reverse("accounts:picker", args=["team"])
    found = {row["value"] for row in session_client(manager).get(url).json()["results"]}
    assert found == {str(manager.pk), str(rep.pk)}
    named = session_client(manager).get(url, {"q": rep.first_name[:3]}).json()["results"]
    assert str(rep.pk) in {row["value"] for row in named}
    assert session_client(rep).get(url).json()["results"] == []


def test_another_organization_never_shows(session_client, manager, outsider, other_organization):
    stranger = UserFactory(organization=other_organization, username="stranger")
    TaskFactory(owner=stranger, subject="Foreign task", due_at=day_start(stranger) - dt.timedelta(days=1))
    OpportunityFactory(owner=stranger, name="Foreign deal", expected_close_date=local_today(stranger))
    html = session_client(manager).get("/", {"owner": stranger.pk}).content.decode()
    assert "Foreign" not in html and "My team" in html


# Session, user and organization, then: tasks (figures, overdue, today), events, pipeline, deals closing
# (figures, rows) and recently viewed; a manager who chose one rep also reads that rep (never the whole team).
DASHBOARD_QUERIES = {"rep": 11, "manager": 11, "manager's rep": 12}


@pytest.mark.parametrize("who", ["rep", "manager"])
def test_dashboard_queries_do_not_grow_with_the_data(
    who, session_client, rep, manager, organization, request, django_assert_num_queries
):
    reps = [rep, UserFactory(organization=organization, role=Role.REP)]
    client = session_client(request.getfixturevalue(who))
    for size in (1, 12):
        for owner in reps:
            make_day(owner, size)
            assert client.get(f"/crm/accounts/{AccountFactory(owner=owner).pk}/").status_code == 200
        with django_assert_num_queries(DASHBOARD_QUERIES[who]):
            html = client.get("/").content.decode()
        assert f"Overdue {rep.username} 0" in html
        if who == "manager":
            with django_assert_num_queries(DASHBOARD_QUERIES["manager's rep"]):
                html = client.get("/", {"owner": reps[1].pk}).content.decode()
            assert f"Overdue {reps[1].username} 0" in html and f"Overdue {rep.username}" not in html
