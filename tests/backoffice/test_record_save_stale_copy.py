"""A save of some fields from a copy read before another change keeps that other change."""

import pytest

from accounts.models import Account
from backoffice.records import record_save
from tests.factories.crm import AccountFactory

pytestmark = pytest.mark.django_db


def test_fields_left_out_keep_what_another_request_stored_meanwhile(manager):
    stale = AccountFactory(owner=manager, organization=manager.organization, name="Northwind", description="")
    fresh = Account.objects.get(pk=stale.pk)
    record_save(actor=manager, instance=fresh, data={"name": "Northwind Traders"})  # another request

    saved = record_save(actor=manager, instance=stale, data={"description": "Key account"})

    stored = Account.objects.get(pk=stale.pk)
    assert (stored.name, stored.description) == ("Northwind Traders", "Key account")
    assert saved.name == "Northwind Traders" and stored.version == fresh.version + 1
