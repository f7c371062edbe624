"""The account-creation strategy (`each` customer its own account, or one per `root` hierarchy) and the
re-relation of every customer when it changes, run as a job in set-based batches.

Rules (the job applies them to each customer; they are idempotent, so a run interrupted and run
again, or run twice, ends where one clean run does):
- to `root`: a customer whose account is not its root's gets the root's account (made, named after
  the root, if the root has none) and remembers the account it had;
- to `each`: a root keeps its account; a child gets back its remembered account when that is neither
  its current one nor the root's; otherwise keeps its current account when it differs from the root's
  (a manual assignment survives); otherwise gets a new account named after it.
Accounts are never deleted.
"""

from dataclasses import dataclass

from django import forms
from django.db import IntegrityError, transaction

from backoffice.changes import change_context
from backoffice.db import retry_on_conflict, service_atomic
from backoffice.org_settings import SettingsSection, settings_get, settings_sections, settings_update
from commerce.choices import AccountStrategy
from commerce.models import CommerceCustomer

SECTION = "crm_commerce"
STRATEGY_KEY = "account_strategy"
RELATION_JOB = "commerce.account_relation"
RELATION_BATCH = 2000
MAX_RELATION_BATCH = 10000


def register_strategy_section() -> None:
    settings_sections.register(
        SettingsSection(
            key=SECTION,
            title="CRM and Commerce",
            description="How commerce customers get their CRM accounts. Changing it re-relates every customer.",
            fields={
                STRATEGY_KEY: forms.ChoiceField(
                    label="Account creation",
                    choices=AccountStrategy.choices,
                    help_text="One account for every customer, or one account for a whole customer hierarchy.",
                )
            },
            defaults={STRATEGY_KEY: AccountStrategy.EACH.value},
            order=200,
            page_extra=strategy_section_extra,
        )
    )


def strategy_section_extra(actor) -> tuple[str, dict] | None:
    """Under the setting: what saving each strategy would do, and the latest re-relation job with its
    live progress (the job page's own fragment) and result."""
    from backoffice.jobs import job_kinds
    from backoffice.models import Job, JobState

    organization_id = actor.organization_id
    if not organization_id:
        return None
    jobs = Job.objects.filter(organization_id=organization_id, kind=RELATION_JOB)
    # The run in progress first (a follow-up waiting behind it is newer but has not started).
    job = jobs.filter(state=JobState.RUNNING).first() or jobs.order_by("-created_at", "-id").first()
    follow_up = job is not None and job.state == JobState.RUNNING and jobs.filter(state=JobState.QUEUED).exists()
    return (
        "commerce/strategy_section.html",
        {
            "strategy": account_strategy_get(organization_id=organization_id),
            "previews": account_strategy_previews(organization_id=organization_id),
            "job": job,
            "job_title": job_kinds.get(RELATION_JOB).title,
            "follow_up": follow_up,
        },
    )


def account_strategy_get(*, organization_id: int) -> str:
    """The organization's account-creation strategy (`each` unless changed)."""
    return settings_get(organization_id=organization_id, section=SECTION)[STRATEGY_KEY]


def account_strategy_for_write(*, organization_id: int) -> str:
    """The strategy, read by a write that relates customers by it, holding the setting until it commits.

    A change of the setting waits for such writes to end and they for it, so each write follows the
    setting its job will also see: none relates a customer by a setting that a finished job replaced.
    """
    from django.db import connection

    from backoffice.models import OrganizationSetting

    if connection.vendor == "postgresql":
        # FOR SHARE: writes relating customers go side by side; only a change of the setting waits.
        table = connection.ops.quote_name(OrganizationSetting._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id FROM {table} WHERE organization_id = %s AND section = %s AND key = %s FOR SHARE",  # noqa: S608
                [organization_id, SECTION, STRATEGY_KEY],
            )
    return account_strategy_get(organization_id=organization_id)


@transaction.atomic
def account_strategy_update(*, actor, strategy: str) -> str:
    """Change the strategy; saving it queues the re-relation job (see commerce.apps: the setting's signal).

    Two first changes at the same moment both try to insert the setting: the one refused by the unique
    key waits for the other to commit, then writes over it, so the change that commits last wins.
    """
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                values = settings_update(actor=actor, section=SECTION, values={STRATEGY_KEY: strategy})
            return values[STRATEGY_KEY]
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


@dataclass
class Plan:
    """What the rules do to a batch of customers."""

    moves: dict[int, int | None]  # customer -> account (None: a new one, named in `new_names`)
    previous: dict[int, int | None]
    new_accounts: dict[int, dict]  # customer -> the account to make for it (name, owner)


def _plan(rows: dict[int, dict], roots: dict[int, dict], strategy: str) -> Plan:
    """Apply the rules to customers `rows` (by id) whose roots are `roots` (by id, a root being its own)."""
    plan = Plan(moves={}, previous={}, new_accounts={})

    def new_account_for(owner_row: dict, customer_id: int) -> None:
        plan.new_accounts[customer_id] = {
            "organization_id": owner_row["organization_id"],
            "owner_id": owner_row["owner_id"],
            "name": owner_row["name"],
        }

    for pk, row in rows.items():
        root = roots[row["root_id"] or pk]
        current = row["account_id"]
        if row["root_id"] is None:
            if current is None:
                new_account_for(row, pk)
                plan.moves[pk] = None
            continue
        root_account = root["account_id"]
        if strategy == AccountStrategy.ROOT:
            if root_account is None:
                # The root gets an account first (named after it); its descendants follow it.
                if root["id"] not in plan.new_accounts:
                    new_account_for(root, root["id"])
                plan.moves[pk] = ("root", root["id"])
                if current is not None:
                    plan.previous[pk] = current
            elif current != root_account:
                plan.moves[pk] = root_account
                if current is not None:
                    plan.previous[pk] = current
        else:
            remembered = row["previous_account_id"]
            if remembered is not None and remembered != current and remembered != root_account:
                plan.moves[pk] = remembered
            elif current is not None and current != root_account:
                continue
            else:
                new_account_for(row, pk)
                plan.moves[pk] = None
    return plan


FIELDS = ("id", "organization_id", "owner_id", "name", "root_id", "account_id", "previous_account_id")


def _read(queryset) -> dict[int, dict]:
    return {row["id"]: row for row in queryset.values(*FIELDS)}


@retry_on_conflict
@service_atomic
def customers_relate_batch(*, organization_id: int, ids: list[int], strategy: str, actor=None) -> dict:
    """Re-relate these customers of the organization to accounts by the strategy's rules (one transaction).

    The customers and their roots are locked in id order, then the rules are applied to the stored rows,
    new accounts made in one INSERT and every move written set-based with its value.
    """
    from django.db import connection

    from accounts.services.lifetime_recalculation import without_jit
    from commerce.services.accounts import accounts_create_for, customers_relate_accounts
    from commerce.services.relation_batch import customers_lock_read, customers_relate_set_based

    with connection.cursor() as cursor:
        without_jit(cursor)
    if connection.vendor == "postgresql":
        locked = customers_lock_read(organization_id=organization_id, ids=ids)
        rows, roots = {pk: locked[pk] for pk in ids if pk in locked}, locked
    else:
        scope = CommerceCustomer.objects.filter(organization_id=organization_id)
        root_ids = set(scope.filter(pk__in=ids, root_id__isnull=False).values_list("root_id", flat=True))
        locked_ids = sorted({*ids, *root_ids})
        list(scope.filter(pk__in=locked_ids).order_by("pk").select_for_update().values_list("pk", flat=True))
        rows = _read(scope.filter(pk__in=ids))
        roots = _read(scope.filter(pk__in={row["root_id"] or pk for pk, row in rows.items()}))
        missing = sorted({row["root_id"] for row in rows.values() if row["root_id"]} - set(locked_ids))
        if missing:
            # A customer changed hierarchy between the read and the locks: lock its new root too.
            list(scope.filter(pk__in=missing).order_by("pk").select_for_update().values_list("pk", flat=True))
    plan = _plan(rows, roots, strategy)
    makers = sorted(plan.new_accounts)
    created = dict(
        zip(makers, accounts_create_for(customers=[plan.new_accounts[pk] for pk in makers], actor=actor), strict=True)
    )
    moves = {}
    for pk, target in plan.moves.items():
        if target is None:
            moves[pk] = created[pk]
        elif isinstance(target, tuple):
            moves[pk] = created[target[1]]
        else:
            moves[pk] = target
    for root_id in makers:
        if root_id not in rows:  # a root outside the batch got its account for its descendants
            moves[root_id] = created[root_id]
    if connection.vendor == "postgresql":
        moved = customers_relate_set_based(moves=moves, previous=plan.previous, current=roots, actor=actor)
    else:
        moved = customers_relate_accounts(moves=moves, previous=plan.previous, actor=actor)
    return {"moved": moved, "accounts_created": len(created)}


PREVIEW_SQL = """
SELECT
    count(*) FILTER (WHERE c.root_id IS NULL AND c.account_id IS NULL) AS roots_without_account,
    count(*) FILTER (WHERE c.root_id IS NOT NULL
        AND (r.account_id IS NULL OR c.account_id IS DISTINCT FROM r.account_id)) AS off_root,
    count(*) FILTER (WHERE c.root_id IS NOT NULL AND c.previous_account_id IS NOT NULL
        AND c.previous_account_id IS DISTINCT FROM c.account_id
        AND c.previous_account_id IS DISTINCT FROM r.account_id) AS restored,
    count(*) FILTER (WHERE c.root_id IS NOT NULL AND NOT (c.previous_account_id IS NOT NULL
        AND c.previous_account_id IS DISTINCT FROM c.account_id
        AND c.previous_account_id IS DISTINCT FROM r.account_id)
        AND (c.account_id IS NULL OR c.account_id IS NOT DISTINCT FROM r.account_id)) AS made,
    count(*) AS customers
FROM {customers} c LEFT JOIN {customers} r ON r.id = c.root_id
WHERE c.organization_id = %s
"""


def _preview_counts(organization_id: int) -> tuple[int, ...]:
    from django.db import connection

    table = connection.ops.quote_name(CommerceCustomer._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(PREVIEW_SQL.format(customers=table), [organization_id])
        return cursor.fetchone()


def _preview_of(counts: tuple[int, ...], strategy: str) -> dict:
    roots_without, off_root, restored, made, customers = counts
    if strategy == AccountStrategy.ROOT:
        moving, created = roots_without + off_root, roots_without
    else:
        moving, created = roots_without + restored + made, roots_without + made
    return {"customers": customers, "customers_moving": moving, "accounts_created": created}


def account_strategy_preview(*, organization_id: int, strategy: str) -> dict:
    """What changing to `strategy` would do, before it is saved: customers that move, accounts made.

    One aggregate over the organization's customers, counting what the job's rules would do.
    """
    return _preview_of(_preview_counts(organization_id), strategy)


def account_strategy_previews(*, organization_id: int) -> list[dict]:
    """The preview of every strategy (one aggregate for all), for the Configuration page."""
    counts = _preview_counts(organization_id)
    return [
        {"strategy": value, "label": label, **_preview_of(counts, value)} for value, label in AccountStrategy.choices
    ]


def relation_batches(*, organization_id: int, after: int, size: int, only_without_account: bool = False):
    """The organization's customer ids after `after`, `size` at a time."""
    scope = CommerceCustomer.objects.filter(organization_id=organization_id).order_by("pk")
    if only_without_account:
        scope = scope.filter(account__isnull=True)
    while True:
        ids = list(scope.filter(pk__gt=after).values_list("pk", flat=True)[:size])
        if not ids:
            return
        yield ids
        after = ids[-1]


def account_relation_run(run) -> dict:
    """The job: every customer of the organization re-related by the strategy saved when the run began."""
    batch = max(1, min(int(run.params.get("batch_size") or RELATION_BATCH), MAX_RELATION_BATCH))
    strategy = run.checkpoint.get("strategy") or account_strategy_get(organization_id=run.organization.pk)
    run.set_total(CommerceCustomer.objects.filter(organization=run.organization).count())
    done = run.job.done
    actor = run.job.requested_by
    for ids in relation_batches(
        organization_id=run.organization.pk, after=int(run.checkpoint.get("after", 0)), size=batch
    ):
        done += len(ids)
        run.step(
            lambda ids=ids: customers_relate_batch(
                organization_id=run.organization.pk, ids=ids, strategy=strategy, actor=actor
            ),
            done=done,
            checkpoint={"after": ids[-1], "strategy": strategy},
        )
    return {"strategy": strategy, **{key: run.job.result.get(key, 0) for key in ("moved", "accounts_created")}}


def accounts_backfill(*, organization, batch_size: int = RELATION_BATCH, actor=None) -> dict:
    """Give every customer without an account one, by the current strategy; idempotent."""
    strategy = account_strategy_get(organization_id=organization.pk)
    totals = {"moved": 0, "accounts_created": 0}
    with change_context(actor=actor, origin="system"):
        for ids in relation_batches(
            organization_id=organization.pk, after=0, size=batch_size, only_without_account=True
        ):
            result = customers_relate_batch(organization_id=organization.pk, ids=ids, strategy=strategy, actor=actor)
            for key in totals:
                totals[key] += result[key]
    return totals
