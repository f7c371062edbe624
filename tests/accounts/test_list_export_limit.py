"""A list's CSV export cut at its row limit says so: in the file's name, in the response's headers, and on
the list page before the download; the file holds only the table (no note line an import would read)."""

import csv
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account, Task
from accounts.views.exports import EXPORT_MAX_ROWS
from tests.factories import AccountFactory, TaskFactory

pytestmark = pytest.mark.django_db


def rows_of(response) -> list[list[str]]:
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def filename(response) -> str:
    return re.search(r'filename="([^"]+)"', response["Content-Disposition"]).group(1)


def many_accounts(owner, count: int) -> None:
    Account.objects.bulk_create(
        Account(organization=owner.organization, owner=owner, name=f"Account {number:05d}") for number in range(count)
    )


def test_an_export_within_the_limit_is_whole_and_says_nothing_more(session_client, rep):
    AccountFactory.create_batch(3, owner=rep)
    client = session_client(rep)
    response = client.get(reverse("accounts:account-export"))
    assert filename(response) == f"accounts-{timezone.localdate().isoformat()}.csv"
    assert (response["X-Export-Rows"], response["X-Export-Total"]) == ("3", "3")
    assert len(rows_of(response)) == 4
    assert 'id="export-limit-note"' not in client.get(reverse("accounts:account-list")).content.decode()


def test_an_export_cut_at_the_limit_says_so_before_and_in_the_download(session_client, rep):
    total = EXPORT_MAX_ROWS + 5
    many_accounts(rep, total)
    client = session_client(rep)

    # The list warns before the download, and the button points to the warning.
    html = client.get(reverse("accounts:account-list")).content.decode()
    note = re.search(r'<p [^>]*id="export-limit-note"[^>]*>(.*?)</p>', html, re.S).group(1)
    assert f"first {EXPORT_MAX_ROWS} of these {total} accounts" in " ".join(note.split())
    assert re.search(r'id="export-csv" aria-describedby="export-limit-note"', html)

    response = client.get(reverse("accounts:account-export"), {"ordering": "name"})
    assert filename(response) == (f"accounts-{timezone.localdate().isoformat()}-first-{EXPORT_MAX_ROWS}-of-{total}.csv")
    assert response["X-Export-Rows"] == str(EXPORT_MAX_ROWS)
    assert response["X-Export-Total"] == str(total)
    assert response["X-Export-Limit"] == str(EXPORT_MAX_ROWS)
    rows = rows_of(response)
    # The header and exactly the first rows in the list's order, nothing after them.
    assert len(rows) == EXPORT_MAX_ROWS + 1
    assert rows[1][0] == "Account 00000" and rows[-1][0] == f"Account {EXPORT_MAX_ROWS - 1:05d}"

    # Narrowed by a filter under the limit, it is whole again and the warning goes.
    narrowed = {"q": "Account 0999"}  # Account 00999, and 09990 to 09999
    response = client.get(reverse("accounts:account-export"), narrowed)
    assert (response["X-Export-Rows"], response["X-Export-Total"]) == ("11", "11")
    assert "-first-" not in filename(response)
    assert 'id="export-limit-note"' not in client.get(reverse("accounts:account-list"), narrowed).content.decode()


def test_the_task_list_warns_too(session_client, rep):
    TaskFactory(owner=rep)
    Task.objects.bulk_create(
        Task(organization=rep.organization, owner=rep, subject=f"Call {number}") for number in range(EXPORT_MAX_ROWS)
    )
    client = session_client(rep)
    html = client.get(reverse("accounts:task-list")).content.decode()
    assert f"first {EXPORT_MAX_ROWS} of these {EXPORT_MAX_ROWS + 1} tasks" in " ".join(html.split())
    response = client.get(reverse("accounts:task-export"))
    assert filename(response).endswith(f"-first-{EXPORT_MAX_ROWS}-of-{EXPORT_MAX_ROWS + 1}.csv")
    assert len(rows_of(response)) == EXPORT_MAX_ROWS + 1
