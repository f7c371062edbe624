"""Promotion pages under real parallel transactions on PostgreSQL: two people saving the same promotion at once,
or one editing while another deactivates it, never lose a change without telling one of them."""

import threading

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from commerce.models import Promotion
from commerce.services.pricing import MAX_CONDITIONS
from commerce.services.promotions import promotion_save
from tests.conftest import need_service
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def form(name: str, version: int) -> dict:
    data = {
        "name": name,
        "kind": "percentage",
        "value": "10",
        "currency": "",
        "scope": "order",
        "priority": "100",
        "active": "on",
        "condition_match": "all",
        "version": str(version),
    }
    data.update({f"condition-{index}-kind": "" for index in range(MAX_CONDITIONS)})
    return data


def run_together(*requests):
    """Send the requests from one thread each, released at once; their status codes in order."""
    barrier = threading.Barrier(len(requests))
    results: list = [None] * len(requests)

    def run(index, user, path, data):
        client = Client()
        client.force_login(user)
        try:
            barrier.wait(timeout=10)
            results[index] = client.post(path, data).status_code
        except Exception as error:  # reported below, with the others' outcome
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index, *request)) for index, request in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.mark.parametrize("attempt", range(3))
def test_two_edits_of_the_same_version_at_once_save_one_and_refuse_the_other(organization, attempt):
    need_service(connection.vendor == "postgresql", "PostgreSQL")
    first, second = (UserFactory(organization=organization, role="manager") for _ in range(2))
    promotion = promotion_save(actor=first, data={"name": "Shared", "value": "5"})
    path = reverse("commerce-promotions:promotion-update", args=[promotion.pk])
    codes = run_together(
        (first, path, form("First's name", promotion.version)),
        (second, path, form("Second's name", promotion.version)),
    )
    assert sorted(codes) == [302, 400], codes
    stored = Promotion.objects.get(pk=promotion.pk)
    winner = "First's name" if codes[0] == 302 else "Second's name"
    assert (stored.name, stored.version) == (winner, promotion.version + 1)


@pytest.mark.parametrize("attempt", range(3))
def test_an_edit_racing_a_deactivation_never_turns_the_promotion_back_on_unseen(organization, attempt):
    need_service(connection.vendor == "postgresql", "PostgreSQL")
    editor, switcher = (UserFactory(organization=organization, role="manager") for _ in range(2))
    promotion = promotion_save(actor=editor, data={"name": "Racing", "value": "5"})
    codes = run_together(
        (
            editor,
            reverse("commerce-promotions:promotion-update", args=[promotion.pk]),
            form("Renamed", promotion.version),
        ),
        (switcher, reverse("commerce-promotions:promotion-deactivate", args=[promotion.pk]), {}),
    )
    stored = Promotion.objects.get(pk=promotion.pk)
    assert codes[1] == 302, codes
    # Either the edit came first and the deactivation after it, or the edit was refused as made on an old
    # version: in both cases the promotion is off, as the person who switched it off saw.
    assert not stored.active
    if codes[0] == 302:
        assert (stored.name, stored.version) == ("Renamed", promotion.version + 2)
    else:
        assert codes[0] == 400 and (stored.name, stored.version) == ("Racing", promotion.version + 1)
