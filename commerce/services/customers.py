"""Writes of commerce customers, their groups and users: hierarchies, accounts per the strategy.

Lock order of every commerce write: the roots of the hierarchies involved (id order), then customers
(id order), then orders (id order), then the CRM's lifetime rows (deals, accounts, channel values,
customers' values; see accounts.services.lifetime). Two writes thus never wait on each other in a circle
among themselves; a rare deadlock with the CRM's own writes is retried whole (retry_on_conflict).
"""

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from accounts.choices import ChannelType
from accounts.models import Account, Channel
from backoffice.access import check_same_organization, check_write
from backoffice.changes import change_context
from backoffice.db import retry_on_conflict, service_atomic
from backoffice.models import User
from backoffice.records import record_save
from commerce.choices import AccountStrategy
from commerce.models import MAX_HIERARCHY_DEPTH, CommerceCustomer, CustomerGroup, CustomerUser
from commerce.services.accounts import accounts_create_for, customers_relate_accounts
from commerce.services.anonymous import anonymous_hierarchy_check
from commerce.services.strategy import account_strategy_for_write

COMMERCE_CHANNEL_NAME = "Commerce"
MAX_NAME_LENGTH = 255
PASSWORD_MAX_LENGTH = 128
PASSWORD_MIN_LENGTH = 8
GROUP_NAME_LENGTH = 100
GROUP_NAME_TAKEN = "A customer group with this name exists already."
TOO_DEEP = f"A customer hierarchy is at most {MAX_HIERARCHY_DEPTH + 1} levels deep."


def channel_commerce_get(*, organization_id: int) -> Channel:
    """The organization's Commerce channel, made on first use."""
    channel, _ = Channel.objects.get_or_create(
        organization_id=organization_id, channel_type=ChannelType.COMMERCE, name=COMMERCE_CHANNEL_NAME
    )
    return channel


def _clean_name(name: str, field: str = "name") -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({field: "Enter a name."})
    if len(name) > MAX_NAME_LENGTH:
        raise ValidationError({field: f"A name is at most {MAX_NAME_LENGTH} characters."})
    return name


def _lock(ids) -> dict[int, CommerceCustomer]:
    """Lock customers in id order and return them as stored."""
    ids = sorted({pk for pk in ids if pk is not None})
    if not ids:
        return {}
    return {c.pk: c for c in CommerceCustomer.objects.filter(pk__in=ids).order_by("pk").select_for_update()}


def _ancestor_ids(customer_id: int) -> list[int]:
    """The customer and its ancestors up to the root (bounded by the maximum depth)."""
    table = connection.ops.quote_name(CommerceCustomer._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH RECURSIVE up(id, parent_id, n) AS (SELECT id, parent_id, 0 FROM {table} WHERE id = %s "  # noqa: S608
            f"UNION ALL SELECT c.id, c.parent_id, up.n + 1 FROM {table} c JOIN up ON c.id = up.parent_id "
            f"WHERE up.n < %s) SELECT id FROM up",
            [customer_id, MAX_HIERARCHY_DEPTH + 1],
        )
        return [row[0] for row in cursor.fetchall()]


def customer_subtree_ids(customer_id: int) -> list[int]:
    """The customer and all its descendants, in id order (bounded by the maximum depth)."""
    table = connection.ops.quote_name(CommerceCustomer._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH RECURSIVE down(id, n) AS (SELECT id, 0 FROM {table} WHERE id = %s "  # noqa: S608
            f"UNION ALL SELECT c.id, down.n + 1 FROM {table} c JOIN down ON c.parent_id = down.id "
            f"WHERE down.n < %s) SELECT id FROM down ORDER BY id",
            [customer_id, MAX_HIERARCHY_DEPTH + 1],
        )
        return [row[0] for row in cursor.fetchall()]


def _account_for_new(*, actor, organization_id: int, name: str, owner_id: int, root: CommerceCustomer | None):
    """The account a new customer gets: its own (`each`, or a new root) or its root's (`root`)."""
    strategy = account_strategy_for_write(organization_id=organization_id)
    if strategy == AccountStrategy.ROOT and root is not None:
        if root.account_id is None:
            [account_id] = accounts_create_for(
                customers=[{"organization_id": organization_id, "owner_id": root.owner_id, "name": root.name}],
                actor=actor,
            )
            customers_relate_accounts(moves={root.pk: account_id}, actor=actor)
            root.account_id = account_id
        return root.account_id
    [account_id] = accounts_create_for(
        customers=[{"organization_id": organization_id, "owner_id": owner_id, "name": name}], actor=actor
    )
    return account_id


@retry_on_conflict
@service_atomic
def customer_create(
    *,
    actor: User,
    name: str,
    parent: CommerceCustomer | None = None,
    group: CustomerGroup | None = None,
    owner: User | None = None,
    account: Account | None = None,
) -> CommerceCustomer:
    """Create a customer; with no account given, the organization's account-creation strategy gives it one."""
    name = _clean_name(name)
    check_same_organization(actor, parent, group, account)
    anonymous_hierarchy_check(customer=None, parent=parent)
    root = None
    depth = 0
    if parent is not None:
        root_id = parent.root_id or parent.pk
        locked = _lock([root_id])
        parent = CommerceCustomer.objects.get(pk=parent.pk)
        if (parent.root_id or parent.pk) not in locked:
            locked.update(_lock([parent.root_id or parent.pk]))
        root = locked[parent.root_id or parent.pk]
        depth = parent.depth + 1
        if depth > MAX_HIERARCHY_DEPTH:
            raise ValidationError({"parent": TOO_DEEP})
    owner = owner or actor
    if account is None:
        account_id = _account_for_new(
            actor=actor, organization_id=actor.organization_id, name=name, owner_id=owner.pk, root=root
        )
        account = Account.objects.get(pk=account_id)
    customer = CommerceCustomer(
        root_id=root.pk if root is not None else None,
        depth=depth,
        channel=channel_commerce_get(organization_id=actor.organization_id),
    )
    return record_save(
        actor=actor,
        instance=customer,
        data={"name": name, "parent": parent, "group": group, "owner": owner, "account": account},
    )


def _check_new_parent(customer: CommerceCustomer, parent: CommerceCustomer | None, subtree: list[int]) -> int:
    """Refuse a parent inside the customer's own subtree or one that makes the tree too deep; the depth shift."""
    if parent is None:
        return -customer.depth
    if parent.pk == customer.pk or customer.pk in _ancestor_ids(parent.pk):
        raise ValidationError(
            {"parent": f"{parent} is {customer} or one of its descendants: a customer cannot be its own ancestor."}
        )
    shift = parent.depth + 1 - customer.depth
    deepest = max(
        CommerceCustomer.objects.filter(pk__in=subtree).values_list("depth", flat=True), default=customer.depth
    )
    if deepest + shift > MAX_HIERARCHY_DEPTH:
        raise ValidationError({"parent": TOO_DEEP})
    return shift


def _change_parent(*, actor, customer: CommerceCustomer, parent: CommerceCustomer | None) -> None:
    """Re-hang a customer and its subtree under a new parent; under `root` the subtree takes the new root's account."""
    old_root_id = customer.root_id or customer.pk
    new_root_id = (parent.root_id or parent.pk) if parent is not None else customer.pk
    _lock([old_root_id, new_root_id])
    customer = CommerceCustomer.objects.get(pk=customer.pk)
    if parent is not None:
        parent = CommerceCustomer.objects.get(pk=parent.pk)
        new_root_id = parent.root_id or parent.pk
        _lock([new_root_id])
    subtree = customer_subtree_ids(customer.pk)
    shift = _check_new_parent(customer, parent, subtree)
    locked = _lock(subtree)
    new_root = None if parent is None else locked.get(new_root_id) or CommerceCustomer.objects.get(pk=new_root_id)
    # The customer's and its descendants' roots and depths (derived: no new version, no log entry).
    CommerceCustomer.objects.filter(pk=customer.pk).update(root_id=new_root.pk if new_root else None)
    CommerceCustomer.objects.filter(pk__in=[pk for pk in subtree if pk != customer.pk]).update(
        root_id=new_root.pk if new_root else customer.pk
    )
    if shift:
        from django.db.models import F

        CommerceCustomer.objects.filter(pk__in=subtree).update(depth=F("depth") + shift)
    if account_strategy_for_write(organization_id=customer.organization_id) == AccountStrategy.ROOT:
        root = new_root or locked[customer.pk]
        target = root.account_id
        if target is None:
            # Only a customer made before the CRM lacks an account; the strategy gives the root one.
            [target] = accounts_create_for(
                customers=[{"organization_id": root.organization_id, "owner_id": root.owner_id, "name": root.name}],
                actor=actor,
            )
            customers_relate_accounts(moves={root.pk: target}, actor=actor)
        moves, previous = {}, {}
        for pk in subtree:
            row = locked[pk]
            if row.account_id != target:
                moves[pk] = target
                if row.account_id is not None:
                    previous[pk] = row.account_id
        customers_relate_accounts(moves=moves, previous=previous, actor=actor)


@retry_on_conflict
@service_atomic
def customer_update(*, actor: User, customer: CommerceCustomer, data: dict) -> CommerceCustomer:
    """Change a customer: name, group, owner, parent (a cycle is refused), account (re-points it)."""
    data = dict(data)
    if "name" in data:
        data["name"] = _clean_name(data["name"])
    check_write(actor, customer)
    check_same_organization(actor, data.get("parent"), data.get("group"), data.get("account"))
    if "account" in data and data["account"] is None:
        raise ValidationError({"account": "Choose the account this customer belongs to."})
    if "parent" in data:
        parent = data.pop("parent")
        anonymous_hierarchy_check(customer=customer, parent=parent)
        stored_parent = CommerceCustomer.objects.filter(pk=customer.pk).values_list("parent_id", flat=True).first()
        if (parent.pk if parent else None) != stored_parent:
            _change_parent(actor=actor, customer=customer, parent=parent)
            data["parent"] = parent
    account = data.pop("account", None)
    locked = _lock([customer.pk])[customer.pk]
    if account is not None and account.pk != locked.account_id:
        # A manual assignment: nothing remembered from the strategy overrides it later.
        customers_relate_accounts(moves={customer.pk: account.pk}, previous={customer.pk: None}, actor=actor)
    customer = CommerceCustomer.objects.get(pk=customer.pk)
    if data:
        customer = record_save(actor=actor, instance=customer, data=data, locked=True)
    return customer


@retry_on_conflict
@service_atomic
def customer_move_account(*, actor: User, customer: CommerceCustomer, account: Account) -> CommerceCustomer:
    """Re-point a customer at another account; both accounts' values change by the customer's value."""
    return customer_update(actor=actor, customer=customer, data={"account": account})


@service_atomic
def customer_group_save(*, actor: User, data: dict, group: CustomerGroup | None = None) -> CustomerGroup:
    """Create or rename a customer group (names unique in the organization)."""
    name = _clean_name(data.get("name", group.name if group else ""))
    if len(name) > GROUP_NAME_LENGTH:
        raise ValidationError({"name": f"A group name is at most {GROUP_NAME_LENGTH} characters."})
    taken = CustomerGroup.objects.filter(organization_id=actor.organization_id, name=name)
    if group is not None:
        taken = taken.exclude(pk=group.pk)
    if taken.exists():
        raise ValidationError({"name": GROUP_NAME_TAKEN})
    try:
        with transaction.atomic():
            return record_save(actor=actor, instance=group or CustomerGroup(), data={**data, "name": name})
    except IntegrityError as error:
        # Another group of that name committed between the check and this write.
        raise ValidationError({"name": GROUP_NAME_TAKEN}) from error


def _clean_password(password: str) -> str:
    if not (PASSWORD_MIN_LENGTH <= len(password or "") <= PASSWORD_MAX_LENGTH):
        raise ValidationError(
            {"password": f"A password is {PASSWORD_MIN_LENGTH} to {PASSWORD_MAX_LENGTH} characters long."}
        )
    return make_password(password)


def _clean_email(email: str, *, organization_id: int, exclude_pk: int | None = None) -> str:
    email = (email or "").strip()
    if not email:
        raise ValidationError({"email": "Enter an e-mail address."})
    taken = CustomerUser.objects.filter(organization_id=organization_id, email__iexact=email)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise ValidationError({"email": "A customer user with this e-mail exists already."})
    return email


def _clean_person_name(value: str, field: str, *, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError({field: "Enter a name."})
    if len(value) > 100:
        raise ValidationError({field: "A name is at most 100 characters."})
    return value


def _refuse_anonymous_customer(customer) -> None:
    """The anonymous customer carries the sales of every CRM customer: a storefront user of it would see them."""
    if customer is not None and getattr(customer, "is_anonymous", False):
        raise ValidationError({"customer": "The anonymous customer has no storefront users."})


@service_atomic
def customer_user_create(
    *,
    actor: User,
    customer: CommerceCustomer,
    first_name: str,
    last_name: str,
    email: str,
    password: str | None,
    enabled: bool = True,
    confirmed: bool = False,
) -> CustomerUser:
    """Create a storefront user of a customer; the e-mail is unique in the organization whatever its case.

    Without a password (a contact person noted at the POS) the user cannot sign in until one is set."""
    check_same_organization(actor, customer)
    _refuse_anonymous_customer(customer)
    user = CustomerUser(password=make_password(None) if password is None else _clean_password(password))
    try:
        with transaction.atomic(), change_context(actor=actor):
            return record_save(
                actor=actor,
                instance=user,
                data={
                    "first_name": _clean_person_name(first_name, "first_name", required=True),
                    "last_name": _clean_person_name(last_name, "last_name", required=True),
                    "email": _clean_email(email, organization_id=actor.organization_id),
                    "customer": customer,
                    "enabled": enabled,
                    "confirmed": confirmed,
                },
            )
    except IntegrityError as error:
        # Another user with the same e-mail committed between the check and this insert.
        raise ValidationError({"email": "A customer user with this e-mail exists already."}) from error


@service_atomic
def customer_user_update(
    *, actor: User, customer_user: CustomerUser, data: dict, password: str | None = None
) -> CustomerUser:
    """Change a customer user's names, e-mail, customer, enabled or confirmed; a new password when given."""
    check_same_organization(actor, data.get("customer"))
    _refuse_anonymous_customer(data.get("customer"))
    data = dict(data)
    for field in ("first_name", "last_name"):
        if field in data:
            data[field] = _clean_person_name(data[field], field, required=True)
    if "email" in data:
        data["email"] = _clean_email(
            data["email"], organization_id=customer_user.organization_id, exclude_pk=customer_user.pk
        )
    customer_user = record_save(actor=actor, instance=customer_user, data=data)
    if password is not None:
        CustomerUser.objects.filter(pk=customer_user.pk).update(password=_clean_password(password))
    return customer_user
