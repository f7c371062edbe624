"""The changes feed under real parallel transactions on PostgreSQL: an entry committed after a later one
still comes after the reader's cursor, so a plug-in following the feed never misses it."""

import threading

import pytest
from django.db import connection, connections, transaction

from accounts.models import Contact
from backoffice.changelog import change_feed
from tests.conftest import need_service
from tests.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _contact(owner, name: str) -> None:
    Contact.objects.create(organization_id=owner.organization_id, owner=owner, last_name=name)


def test_an_entry_committed_late_is_not_skipped_by_a_reader():
    need_service(connection.vendor == "postgresql", "PostgreSQL")
    organization = OrganizationFactory(name="Feed Org")
    owner = UserFactory(organization=organization, role="manager")
    written, release, done = threading.Event(), threading.Event(), threading.Event()
    errors = []

    def slow_writer():
        try:
            with transaction.atomic():
                _contact(owner, "Slow")  # its entry's row id is taken first
                written.set()
                release.wait(timeout=30)
        except Exception as error:  # surfaced in the main thread
            errors.append(error)
        finally:
            connections.close_all()
            done.set()

    thread = threading.Thread(target=slow_writer)
    thread.start()
    assert written.wait(timeout=30)
    with transaction.atomic():
        _contact(owner, "Fast")  # committed first, although begun later

    first = change_feed(actor=owner, after=0, types=["contact"])
    assert [e.object_repr for e in first.entries] == ["Fast"]
    release.set()
    assert done.wait(timeout=30)
    thread.join()
    assert not errors
    then = change_feed(actor=owner, after=first.next_cursor, types=["contact"])
    assert [e.object_repr for e in then.entries] == ["Slow"]


def test_parallel_writers_get_distinct_increasing_sequences():
    need_service(connection.vendor == "postgresql", "PostgreSQL")
    organization = OrganizationFactory(name="Parallel Org")
    owner = UserFactory(organization=organization, role="manager")
    errors = []

    def writer(index: int):
        try:
            for n in range(15):
                with transaction.atomic():
                    _contact(owner, f"W{index}-{n}")
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    page = change_feed(actor=owner, after=0, types=["contact"], limit=1000)
    sequences = [e.sequence for e in page.entries]
    assert len(sequences) == 60 == len(set(sequences))
    assert sequences == sorted(sequences)
