"""The account-creation strategy: accounts of new customers, hierarchy rules, and the re-relation job when
the setting changes (root and each, restoring remembered and manual assignments, resumable, idempotent)."""

import random
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from accounts.models import Account
from accounts.services import lifetime_recalculate
from backoffice.models import Job, JobState
from commerce.models import MAX_HIERARCHY_DEPTH, CommerceCustomer
from commerce.services import (
    account_strategy_preview,
    account_strategy_update,
    customer_create,
    customer_move_account,
    customer_update,
)
from commerce.services.strategy import RELATION_JOB, account_relation_run
from tests.commerce.conftest import lifetime_snapshot
from tests.commerce.strategy_support import Interrupted, InterruptedRun, relation_state, run_relation_jobs
from tests.factories import AccountFactory, OrganizationFactory, UserFactory
from tests.factories.commerce import make_order

pytestmark = pytest.mark.django_db


def fresh(customer):
    return CommerceCustomer.objects.select_related("account").get(pk=customer.pk)


def switch(admin, strategy):
    account_strategy_update(actor=admin, strategy=strategy)
    return run_relation_jobs(admin.organization)


def test_each_gives_every_new_customer_its_own_account(org_admin, rep):
    parent = customer_create(actor=rep, name="Parent Co")
    child = customer_create(actor=rep, name="Child Co", parent=parent)
    assert parent.account.name == "Parent Co" and child.account.name == "Child Co"
    assert child.account.owner == rep and child.account.organization_id == rep.organization_id
    assert fresh(child).root_id == parent.pk


def test_root_gives_new_customers_the_root_account(org_admin, rep):
    account_strategy_update(actor=org_admin, strategy="root")
    run_relation_jobs(org_admin.organization)
    root = customer_create(actor=rep, name="Root Co")
    child = customer_create(actor=rep, name="Child Co", parent=root)
    grandchild = customer_create(actor=rep, name="Grandchild Co", parent=child)
    assert root.account.name == "Root Co"
    assert child.account_id == grandchild.account_id == root.account_id
    assert fresh(grandchild).root_id == root.pk and fresh(grandchild).depth == 2


def test_a_given_account_wins_over_the_strategy(rep):
    account = AccountFactory(owner=rep, name="Chosen")
    customer = customer_create(actor=rep, name="Picky", account=account)
    assert customer.account_id == account.pk
    with pytest.raises(ValidationError) as error:
        customer_update(actor=rep, customer=customer, data={"account": None})
    assert "account" in error.value.message_dict


def test_a_cycle_is_refused_with_a_clear_message(rep):
    a = customer_create(actor=rep, name="A")
    b = customer_create(actor=rep, name="B", parent=a)
    c = customer_create(actor=rep, name="C", parent=b)
    for parent in (c, b, a):
        with pytest.raises(ValidationError) as error:
            customer_update(actor=rep, customer=fresh(a), data={"parent": parent})
        assert "own ancestor" in error.value.message_dict["parent"][0]
    assert fresh(a).parent_id is None


def test_hierarchy_depth_is_bounded(rep):
    customer = customer_create(actor=rep, name="Level 0")
    for level in range(1, MAX_HIERARCHY_DEPTH + 1):
        customer = customer_create(actor=rep, name=f"Level {level}", parent=customer)
    with pytest.raises(ValidationError) as error:
        customer_create(actor=rep, name="Too deep", parent=customer)
    assert "levels deep" in error.value.message_dict["parent"][0]
    other = customer_create(actor=rep, name="Other root")
    other_child = customer_create(actor=rep, name="Other child", parent=other)
    with pytest.raises(ValidationError):
        customer_update(actor=rep, customer=other, data={"parent": customer})
    assert fresh(other_child).depth == 1


def test_moving_a_subtree_updates_roots_and_depths(rep):
    a = customer_create(actor=rep, name="A")
    b = customer_create(actor=rep, name="B", parent=a)
    c = customer_create(actor=rep, name="C", parent=b)
    x = customer_create(actor=rep, name="X")
    customer_update(actor=rep, customer=fresh(b), data={"parent": x})
    assert (fresh(b).root_id, fresh(b).depth, fresh(c).root_id, fresh(c).depth) == (x.pk, 1, x.pk, 2)
    customer_update(actor=rep, customer=fresh(b), data={"parent": None})
    assert (fresh(b).root_id, fresh(b).depth, fresh(c).root_id, fresh(c).depth) == (None, 0, b.pk, 1)


def test_parent_change_under_root_relates_the_subtree_at_once(org_admin):
    switch(org_admin, "root")
    a = customer_create(actor=org_admin, name="A")
    b = customer_create(actor=org_admin, name="B", parent=a)
    c = customer_create(actor=org_admin, name="C", parent=b)
    make_order(org_admin, c, price="30.00", paid=True)
    x = customer_create(actor=org_admin, name="X")
    customer_update(actor=org_admin, customer=fresh(b), data={"parent": x})
    assert fresh(b).account_id == fresh(c).account_id == x.account_id
    assert fresh(c).previous_account_id == a.account_id
    assert Account.objects.get(pk=x.account_id).lifetime_value == Decimal("30.00")
    assert Account.objects.get(pk=a.account_id).lifetime_value == Decimal("0.00")
    # Made a root of its own, B's subtree follows B's account (its previous one, the root's).
    customer_update(actor=org_admin, customer=fresh(b), data={"parent": None})
    assert fresh(c).account_id == fresh(b).account_id == x.account_id
    assert lifetime_recalculate(organization=org_admin.organization) == 0


def test_root_then_each_restores_own_and_manual_accounts(org_admin):
    root = customer_create(actor=org_admin, name="Root")
    own = customer_create(actor=org_admin, name="Own", parent=root)
    manual = customer_create(actor=org_admin, name="Manual", parent=root)
    chosen = AccountFactory(owner=org_admin, name="Chosen account")
    customer_move_account(actor=org_admin, customer=manual, account=chosen)
    own_account = fresh(own).account_id
    make_order(org_admin, own, price="10.00", paid=True)
    make_order(org_admin, manual, price="20.00", paid=True)

    preview = account_strategy_preview(organization_id=org_admin.organization_id, strategy="root")
    assert preview == {"customers": 3, "customers_moving": 2, "accounts_created": 0}
    [job] = switch(org_admin, "root")
    assert job.state == JobState.SUCCEEDED and job.done == job.total == 3
    assert job.result["moved"] == 2
    assert {fresh(c).account_id for c in (root, own, manual)} == {root.account_id}
    assert Account.objects.get(pk=root.account_id).lifetime_value == Decimal("30.00")
    assert Account.objects.filter(pk__in=[own_account, chosen.pk]).count() == 2  # never deleted

    for _ in range(2):  # root -> each -> root -> each: the assignments come back every time
        switch(org_admin, "each")
        assert fresh(own).account_id == own_account
        assert fresh(manual).account_id == chosen.pk
        assert fresh(root).account_id == root.account_id
        assert Account.objects.get(pk=chosen.pk).lifetime_value == Decimal("20.00")
        switch(org_admin, "root")
        assert {fresh(c).account_id for c in (root, own, manual)} == {root.account_id}
    assert Account.objects.filter(organization=org_admin.organization).count() == 4
    assert lifetime_recalculate(organization=org_admin.organization) == 0


def test_each_makes_a_new_account_only_for_a_child_with_nothing_to_restore(org_admin):
    switch(org_admin, "root")
    root = customer_create(actor=org_admin, name="Root")
    child = customer_create(actor=org_admin, name="Child", parent=root)
    preview = account_strategy_preview(organization_id=org_admin.organization_id, strategy="each")
    assert preview["customers_moving"] == 1 and preview["accounts_created"] == 1
    [job] = switch(org_admin, "each")
    assert job.result["accounts_created"] == 1
    assert fresh(child).account.name == "Child" and fresh(root).account_id == root.account_id
    # A second run of the same setting changes nothing.
    account_strategy_update(actor=org_admin, strategy="root")
    account_strategy_update(actor=org_admin, strategy="each")
    before = relation_state(org_admin.organization)
    run_relation_jobs(org_admin.organization)
    assert relation_state(org_admin.organization) == before


def build(name: str, seed: int):
    """An organization with hierarchies, paid orders and manual assignments, the same for the same seed."""
    rng = random.Random(seed)
    organization = OrganizationFactory(name=name)
    admin = UserFactory(organization=organization, role="admin", username=f"admin-{name}")
    customers = []
    for index in range(40):
        parent = rng.choice(customers) if customers and rng.random() < 0.75 else None
        customers.append(customer_create(actor=admin, name=f"C{index}", parent=parent))
        if rng.random() < 0.5:
            make_order(admin, customers[-1], price=f"{rng.randint(1, 500)}.{rng.randint(0, 99):02d}", paid=True)
    for index in range(6):
        account = AccountFactory(owner=admin, name=f"Manual {index}")
        customer_move_account(actor=admin, customer=fresh(rng.choice(customers)), account=account)
    return admin


@pytest.mark.parametrize("seed", [1, 2])
def test_an_interrupted_job_run_again_ends_as_a_clean_run(seed):
    clean = build("Clean", seed)
    broken = build("Broken", seed)
    rng = random.Random(seed)
    for strategy in ("root", "each", "root"):
        preview = account_strategy_preview(organization_id=clean.organization_id, strategy=strategy)
        account_strategy_update(actor=clean, strategy=strategy)
        for job in Job.objects.filter(organization=clean.organization, state=JobState.QUEUED):
            Job.objects.filter(pk=job.pk).update(params={"batch_size": 6})
        [clean_job] = run_relation_jobs(clean.organization)
        # The preview said what the job did.
        assert clean_job.result["moved"] == preview["customers_moving"]
        assert clean_job.result["accounts_created"] == preview["accounts_created"]

        account_strategy_update(actor=broken, strategy=strategy)
        job = Job.objects.get(organization=broken.organization, kind=RELATION_JOB, state=JobState.QUEUED)
        Job.objects.filter(pk=job.pk).update(params={"batch_size": 6})
        with pytest.raises(Interrupted):
            account_relation_run(InterruptedRun(Job.objects.get(pk=job.pk), stop_before=rng.randint(1, 6)))
        assert 0 < Job.objects.get(pk=job.pk).done < 40
        run_relation_jobs(broken.organization)
        job.refresh_from_db()
        assert job.state == JobState.SUCCEEDED and job.done == 40
        assert relation_state(broken.organization) == relation_state(clean.organization)
    assert lifetime_recalculate(organization=broken.organization) == 0
    assert Account.objects.filter(organization=broken.organization).count() == (
        Account.objects.filter(organization=clean.organization).count()
    )


def test_backfill_gives_accounts_to_customers_without_one(org_admin):
    root = customer_create(actor=org_admin, name="Old root")
    child = customer_create(actor=org_admin, name="Old child", parent=root)
    make_order(org_admin, child, price="40.00", paid=True)
    lone = customer_create(actor=org_admin, name="Old lone")
    # As if the CRM were installed over existing commerce data: nobody has an account yet.
    CommerceCustomer.objects.filter(organization=org_admin.organization).update(account=None)
    Account.objects.filter(organization=org_admin.organization).update(lifetime_value=0)
    from accounts.models import AccountChannelValue

    AccountChannelValue.objects.filter(account__organization=org_admin.organization).delete()
    account_strategy_update(actor=org_admin, strategy="root")
    Job.objects.filter(organization=org_admin.organization).delete()
    call_command("backfill_accounts", organization=org_admin.organization.name)
    assert fresh(root).account.name == "Old root" and fresh(child).account_id == fresh(root).account_id
    assert fresh(lone).account.name == "Old lone"
    assert fresh(root).account.lifetime_value == Decimal("40.00")
    before = lifetime_snapshot(org_admin.organization)
    call_command("backfill_accounts")
    assert lifetime_snapshot(org_admin.organization) == before
    assert lifetime_recalculate(organization=org_admin.organization) == 0


def test_only_admins_change_the_strategy_and_only_to_a_known_one(rep, org_admin):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        account_strategy_update(actor=rep, strategy="root")
    with pytest.raises(ValidationError) as error:
        account_strategy_update(actor=org_admin, strategy="bogus")
    assert "account_strategy" in error.value.message_dict
    assert not Job.objects.filter(organization=org_admin.organization).exists()
