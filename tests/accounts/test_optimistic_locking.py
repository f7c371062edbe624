"""Two people editing one record: the later save of an outdated copy is refused, not silently applied."""

import re

import pytest

from accounts.models import Account
from accounts.services import account_save
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


def test_saving_an_outdated_form_is_refused_and_keeps_the_other_change(session_client, rep, manager):
    account = AccountFactory(owner=rep, name="Original")
    client = session_client(rep)
    form = client.get(f"/crm/accounts/{account.pk}/edit/").content.decode()
    version = re.search(r'name="version" value="(\d+)"', form).group(1)

    account_save(actor=manager, account=account, data={"name": "Renamed by the manager"})

    response = client.post(
        f"/crm/accounts/{account.pk}/edit/", {"name": "Renamed by the rep", "owner": rep.pk, "version": version}
    )
    assert response.status_code == 200
    assert "changed by someone else" in response.content.decode()
    account.refresh_from_db()
    assert account.name == "Renamed by the manager"


def test_saving_an_up_to_date_form_works(session_client, rep):
    account = AccountFactory(owner=rep, name="Original")
    client = session_client(rep)
    form = client.get(f"/crm/accounts/{account.pk}/edit/").content.decode()
    version = re.search(r'name="version" value="(\d+)"', form).group(1)
    response = client.post(f"/crm/accounts/{account.pk}/edit/", {"name": "Fresh", "owner": rep.pk, "version": version})
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.name == "Fresh" and account.version == int(version) + 1


def test_api_if_match_guards_updates(key_client, rep, manager):
    account = AccountFactory(owner=rep, name="Original")
    client = key_client(rep)
    read = client.get(f"/api/crm/accounts/{account.pk}/")
    etag = read.headers["ETag"]
    assert etag == f'"{read.json()["version"]}"'

    ok = client.patch(f"/api/crm/accounts/{account.pk}/", {"name": "First"}, HTTP_IF_MATCH=etag)
    assert ok.status_code == 200 and ok.headers["ETag"] != etag

    stale = client.patch(f"/api/crm/accounts/{account.pk}/", {"name": "Second"}, HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert "changed by someone else" in stale.json()["errors"][0]["detail"]
    assert Account.objects.get(pk=account.pk).name == "First"

    bad = client.patch(f"/api/crm/accounts/{account.pk}/", {"name": "Third"}, HTTP_IF_MATCH="yesterday")
    assert bad.status_code == 400 and bad.json()["errors"][0]["attr"] == "If-Match"

    # Without If-Match the plug-in chose last-write-wins.
    assert client.patch(f"/api/crm/accounts/{account.pk}/", {"name": "Fourth"}).status_code == 200


def test_a_deal_won_meanwhile_does_not_make_the_account_form_stale(session_client, rep):
    from decimal import Decimal

    from accounts.services import opportunity_save

    account = AccountFactory(owner=rep, name="Original")
    deal = opportunity_save(actor=rep, data={"name": "Deal", "account": account, "close_revenue": Decimal("120")})
    client = session_client(rep)
    form = client.get(f"/crm/accounts/{account.pk}/edit/").content.decode()
    version = re.search(r'name="version" value="(\d+)"', form).group(1)

    opportunity_save(actor=rep, opportunity=deal, data={"status": "won"})  # the account's value moves

    response = client.post(
        f"/crm/accounts/{account.pk}/edit/", {"name": "Renamed", "owner": rep.pk, "version": version}
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.name == "Renamed"
    assert account.lifetime_value == Decimal("120.00")  # the form's save kept the value won meanwhile
