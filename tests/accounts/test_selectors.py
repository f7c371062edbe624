"""One record by id: the `<entity>_get` selectors find what the actor may read and nothing else."""

import pytest
from django.http import Http404

from accounts import selectors
from backoffice.selectors import user_get
from tests.factories import (
    AccountFactory,
    BusinessCustomerFactory,
    CalendarEventFactory,
    ContactFactory,
    LeadFactory,
    NoteFactory,
    OpportunityFactory,
    TaskFactory,
    UserFactory,
)

GETS = [
    (selectors.account_get, AccountFactory),
    (selectors.contact_get, ContactFactory),
    (selectors.business_customer_get, BusinessCustomerFactory),
    (selectors.lead_get, LeadFactory),
    (selectors.opportunity_get, OpportunityFactory),
    (selectors.task_get, TaskFactory),
    (selectors.event_get, CalendarEventFactory),
    (selectors.note_get, NoteFactory),
]


@pytest.mark.parametrize(("get", "factory"), GETS, ids=[get.__name__ for get, _ in GETS])
def test_a_rep_gets_a_colleagues_record_but_never_another_organizations(get, factory, rep, outsider):
    colleague = UserFactory(organization=rep.organization)
    ours, theirs = factory(owner=colleague), factory(owner=outsider)

    assert get(actor=rep, pk=ours.pk) == ours
    with pytest.raises(Http404):
        get(actor=rep, pk=theirs.pk)
    with pytest.raises(Http404):
        get(actor=rep, pk=max(ours.pk, theirs.pk) + 1000)


def test_user_get_finds_users_of_the_actors_organization_only(rep, outsider):
    colleague = UserFactory(organization=rep.organization)
    assert user_get(actor=rep, pk=colleague.pk) == colleague
    with pytest.raises(Http404):
        user_get(actor=rep, pk=outsider.pk)
