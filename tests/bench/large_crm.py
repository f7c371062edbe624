"""A sales organization with a few years of history, at any size, built in SQL in seconds.

`large_crm_build(opportunities=100_000)` makes one organization with 10 reps and a manager, and,
per 100,000 opportunities: 5,000 accounts, 20,000 contacts, 2,500 business customers, 300,000
history rows (each deal created, moved on, and closed or still open), 50,000 tasks and 50,000 notes
on accounts, contacts and deals, and the lifetime values and value history those deals give. One in
25 of the deals with no customer is on the organization's key account. PostgreSQL only (generate_series).

Rows are written straight in SQL: they are the past a live system would hold, not changes made now,
so they carry no change log entries.
"""

from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction

from accounts.models import Account, BusinessCustomer, Contact, Opportunity
from accounts.services.records import channel_business_get
from backoffice.choices import Role
from backoffice.models import Organization, User
from backoffice.services import api_key_issue
from tests.conftest import basic_auth
from tests.factories import OrganizationFactory, UserFactory

REPS = 10
KEY_ACCOUNT_SHARE = 25  # one deal in this many (with no customer) belongs to the key account


@dataclass(frozen=True)
class LargeCrm:
    organization: Organization
    rep: User
    manager: User
    rep_authorization: str = field(repr=False)
    manager_authorization: str = field(repr=False)
    opportunities: int = 0
    key_account_id: int = 0
    typical_account_id: int = 0


# Hand-written lifetime-value recompute of one organization, with its writes: customers, channel values,
# account totals. It is what a data set is built with here, and the baseline `recalculate_lifetime` is
# measured against.
LIFETIME_RECOMPUTE_SQL = """
WITH won AS (
    SELECT o.account_id, o.customer_id, o.close_revenue_base AS amount
    FROM accounts_opportunity o
    WHERE o.organization_id = %(org)s AND o.status = 'won' AND o.close_revenue_base IS NOT NULL
),
customers AS (
    UPDATE accounts_businesscustomer c SET lifetime_value = coalesce(t.total, 0)
    FROM accounts_businesscustomer c2
    LEFT JOIN (
        SELECT o.customer_id, sum(o.close_revenue_base) AS total FROM accounts_opportunity o
        WHERE o.customer_type_id = %(customer_type)s AND o.status = 'won' AND o.close_revenue_base IS NOT NULL
        GROUP BY o.customer_id
    ) t ON t.customer_id = c2.id
    WHERE c.id = c2.id AND c2.organization_id = %(org)s AND c.lifetime_value IS DISTINCT FROM coalesce(t.total, 0)
    RETURNING 1
),
per_channel AS (
    SELECT won.account_id, bc.channel_id, sum(won.amount) AS amount
    FROM won LEFT JOIN accounts_businesscustomer bc ON bc.id = won.customer_id
    GROUP BY won.account_id, bc.channel_id
),
removed AS (
    DELETE FROM accounts_accountchannelvalue v USING accounts_account a
    WHERE a.id = v.account_id AND a.organization_id = %(org)s
      AND NOT EXISTS (
          SELECT 1 FROM per_channel p
          WHERE p.account_id = v.account_id AND p.channel_id IS NOT DISTINCT FROM v.channel_id AND p.amount <> 0
      )
    RETURNING 1
),
channels_with AS (
    INSERT INTO accounts_accountchannelvalue (account_id, channel_id, amount)
    SELECT account_id, channel_id, amount FROM per_channel WHERE channel_id IS NOT NULL AND amount <> 0
    ON CONFLICT (account_id, channel_id) DO UPDATE SET amount = EXCLUDED.amount
    WHERE accounts_accountchannelvalue.amount IS DISTINCT FROM EXCLUDED.amount
    RETURNING 1
),
channels_without AS (
    INSERT INTO accounts_accountchannelvalue (account_id, channel_id, amount)
    SELECT account_id, NULL, amount FROM per_channel WHERE channel_id IS NULL AND amount <> 0
    ON CONFLICT (account_id) WHERE channel_id IS NULL DO UPDATE SET amount = EXCLUDED.amount
    WHERE accounts_accountchannelvalue.amount IS DISTINCT FROM EXCLUDED.amount
    RETURNING 1
),
accounts AS (
    UPDATE accounts_account a SET lifetime_value = coalesce(t.total, 0)
    FROM accounts_account a2
    LEFT JOIN (SELECT account_id, sum(amount) AS total FROM won GROUP BY account_id) t ON t.account_id = a2.id
    WHERE a.id = a2.id AND a2.organization_id = %(org)s AND a.lifetime_value IS DISTINCT FROM coalesce(t.total, 0)
    RETURNING a.id, a.lifetime_value
),
history AS (
    INSERT INTO accounts_accountvaluechange (account_id, lifetime_value, changed_at)
    SELECT id, lifetime_value, now() FROM accounts
    RETURNING 1
)
SELECT (SELECT count(*) FROM customers), (SELECT count(*) FROM removed) + (SELECT count(*) FROM channels_with)
       + (SELECT count(*) FROM channels_without), (SELECT count(*) FROM history)
"""


def lifetime_recompute_sql(organization_id: int) -> tuple[int, int, int]:
    """Run the hand-written recompute; returns (customers, channel values, accounts) it changed."""
    customer_type = ContentType.objects.get_for_model(BusinessCustomer).pk
    with connection.cursor() as cursor:
        cursor.execute(LIFETIME_RECOMPUTE_SQL, {"org": organization_id, "customer_type": customer_type})
        return cursor.fetchone()


def _execute(sql: str, params: dict) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def large_crm_build(*, opportunities: int, name: str) -> LargeCrm:
    """Build the organization (committed, outside any test transaction: call it with the database unblocked)."""
    with transaction.atomic():
        crm = _build(opportunities, name)
    _vacuum()
    return crm


def _build(opportunities: int, name: str) -> LargeCrm:
    organization = OrganizationFactory(name=name)
    manager = UserFactory(organization=organization, role=Role.MANAGER, username=f"{name}-manager".lower())
    reps = [
        UserFactory(organization=organization, role=Role.REP, username=f"{name}-rep{i}".lower()) for i in range(REPS)
    ]
    channel = channel_business_get(organization_id=organization.pk)
    n = opportunities
    params = {
        "org": organization.pk,
        "n": n,
        "accounts": max(n // 20, 10),
        "contacts": max(n // 5, 20),
        "customers": max(n // 40, 5),
        "reps": [rep.pk for rep in reps],
        "channel": channel.pk,
        "customer_type": ContentType.objects.get_for_model(BusinessCustomer).pk,
        "account_type": ContentType.objects.get_for_model(Account).pk,
        "contact_type": ContentType.objects.get_for_model(Contact).pk,
        "opportunity_type": ContentType.objects.get_for_model(Opportunity).pk,
        "key_share": KEY_ACCOUNT_SHARE,
    }
    # Ids of this organization's rows are contiguous: each table gets its rows in one statement.
    _execute(
        """
        INSERT INTO accounts_account (created_at, updated_at, version, name, description, lifetime_value,
                                      organization_id, owner_id)
        SELECT now() - interval '4 years', now() - interval '4 years', 1, 'Account ' || lpad(i::text, 6, '0'), '', 0,
               %(org)s, (%(reps)s::bigint[])[1 + i %% cardinality(%(reps)s::bigint[])]
        FROM generate_series(1, %(accounts)s) i;

        INSERT INTO accounts_contact (created_at, updated_at, version, name_prefix, first_name, middle_name, last_name,
                                      gender, job_title, description, email, phone, organization_id, owner_id)
        SELECT now() - interval '3 years', now() - interval '3 years', 1, '', 'First' || i, '', 'Last' || i,
               'unspecified', 'Buyer', '', 'contact' || i || '@large.example.com', '', %(org)s,
               (%(reps)s::bigint[])[1 + i %% cardinality(%(reps)s::bigint[])]
        FROM generate_series(1, %(contacts)s) i;
        """,
        params,
    )
    accounts = list(Account.objects.filter(organization=organization).order_by("pk").values_list("pk", flat=True))
    contacts = list(Contact.objects.filter(organization=organization).order_by("pk").values_list("pk", flat=True))
    params.update(first_account=accounts[0], first_contact=contacts[0])
    _execute(
        """
        INSERT INTO accounts_account_contacts (account_id, contact_id)
        SELECT %(first_account)s + (c.i %% %(accounts)s), %(first_contact)s + c.i
        FROM generate_series(0, %(contacts)s - 1) AS c(i);

        INSERT INTO accounts_businesscustomer (created_at, updated_at, version, name, email, phone, billing_street,
            billing_city, billing_postal_code, billing_country, shipping_street, shipping_city, shipping_postal_code,
            shipping_country, lifetime_value, account_id, organization_id, owner_id, channel_id)
        SELECT now() - interval '3 years', now() - interval '3 years', 1, 'Customer ' || i, '', '', '', '', '', '',
               '', '', '', '', 0, %(first_account)s + (i %% %(accounts)s), %(org)s,
               (%(reps)s::bigint[])[1 + i %% cardinality(%(reps)s::bigint[])], %(channel)s
        FROM generate_series(0, %(customers)s - 1) i;
        """,
        params,
    )
    first_customer = BusinessCustomer.objects.filter(organization=organization).order_by("pk").first()
    params.update(first_customer=first_customer.pk)
    # Deals: a quarter won, a quarter lost, the rest open across the five open stages; created over three
    # years, the open ones closing from three months ago (overdue) to a year ahead.
    _execute(
        """
        CREATE TEMP TABLE large_deals ON COMMIT DROP AS
        SELECT i,
               -- A deal with a customer is on that customer's account (as the services keep it).
               CASE WHEN customer_id IS NOT NULL
                        THEN %(first_account)s + (customer_id - %(first_customer)s) %% %(accounts)s
                    WHEN i %% %(key_share)s = 0 THEN %(first_account)s
                    ELSE %(first_account)s + 1 + abs(hashint4(i)) %% (%(accounts)s - 1) END AS account_id,
               status, created, amount, owner_id, customer_id, contact_id
        FROM (
            SELECT i,
                   CASE WHEN i %% 4 = 0 THEN 'won' WHEN i %% 4 = 1 THEN 'lost'
                        ELSE (ARRAY['in_progress', 'identification_alignment', 'needs_analysis',
                                    'solution_development', 'negotiation'])[1 + (i / 4) %% 5] END AS status,
                   now() - make_interval(days => 1095 - (i::bigint * 1095 / %(n)s)::int) AS created,
                   ((1 + abs(hashint4(i * 7)) %% 500) * 100)::numeric(18, 2) AS amount,
                   (%(reps)s::bigint[])[1 + abs(hashint4(i * 3)) %% cardinality(%(reps)s::bigint[])] AS owner_id,
                   CASE WHEN i %% 3 = 0 THEN %(first_customer)s + abs(hashint4(i * 5)) %% %(customers)s
                   END AS customer_id,
                   %(first_contact)s + abs(hashint4(i * 11)) %% %(contacts)s AS contact_id
            FROM generate_series(1, %(n)s) i
        ) d;

        INSERT INTO accounts_opportunity (created_at, updated_at, version, name, customer_id, customer_type_id,
            status, probability, budget_amount, budget_currency, budget_amount_base, close_revenue,
            close_revenue_currency, close_revenue_base, expected_close_date, closed_at, close_reason, description,
            account_id, contact_id, organization_id, owner_id)
        SELECT d.created, d.created, 1, 'Deal ' || d.i, d.customer_id,
               CASE WHEN d.customer_id IS NOT NULL THEN %(customer_type)s END,
               d.status,
               CASE d.status WHEN 'won' THEN 100 WHEN 'lost' THEN 0 WHEN 'in_progress' THEN 10
                    WHEN 'identification_alignment' THEN 20 WHEN 'needs_analysis' THEN 40
                    WHEN 'solution_development' THEN 60 ELSE 80 END,
               d.amount, 'USD', d.amount,
               CASE WHEN d.status = 'won' THEN d.amount END, CASE WHEN d.status = 'won' THEN 'USD' ELSE '' END,
               CASE WHEN d.status = 'won' THEN d.amount END,
               CASE WHEN d.status IN ('won', 'lost') THEN (d.created + interval '60 days')::date
                    ELSE current_date - 90 + d.i %% 455 END,
               CASE WHEN d.status IN ('won', 'lost') THEN d.created + interval '60 days' END,
               CASE d.status WHEN 'won' THEN 'won' WHEN 'lost' THEN 'outsold' ELSE '' END,
               '', d.account_id, d.contact_id, %(org)s, d.owner_id
        FROM large_deals d ORDER BY d.i;
        """,
        params,
    )
    first_deal = Opportunity.objects.filter(organization=organization).order_by("pk").values_list("pk", flat=True)[0]
    params.update(first_deal=first_deal)
    _execute(
        """
        -- History: created in progress, moved on a month later, closed (or moved again) at close.
        INSERT INTO accounts_historicalopportunity (id, created_at, name, customer_id, status, probability,
            budget_amount, budget_currency, budget_amount_base, close_revenue, close_revenue_currency,
            close_revenue_base, expected_close_date, closed_at, close_reason, description, history_date,
            history_type, account_id, contact_id, customer_type_id, organization_id, owner_id)
        SELECT o.id, o.created_at, o.name, o.customer_id, step.status, step.probability, o.budget_amount,
               o.budget_currency, o.budget_amount_base,
               CASE WHEN step.final THEN o.close_revenue END, CASE WHEN step.final THEN o.close_revenue_currency
               ELSE '' END, CASE WHEN step.final THEN o.close_revenue_base END, o.expected_close_date,
               CASE WHEN step.final THEN o.closed_at END, CASE WHEN step.final THEN o.close_reason ELSE '' END,
               '', step.at, step.kind, o.account_id, o.contact_id, o.customer_type_id, o.organization_id, o.owner_id
        FROM accounts_opportunity o
        CROSS JOIN LATERAL (VALUES
            ('+', 'in_progress', 10::numeric, o.created_at, o.status = 'in_progress'),
            ('~', 'needs_analysis', 40::numeric, o.created_at + interval '30 days', false),
            ('~', o.status, o.probability, coalesce(o.closed_at, o.created_at + interval '45 days'), true)
        ) AS step(kind, status, probability, at, final)
        WHERE o.organization_id = %(org)s AND (step.kind = '+' OR o.status <> 'in_progress');

        -- Activities: half tasks, half notes, on accounts, contacts and deals alike.
        INSERT INTO accounts_task (created_at, updated_at, version, related_id, related_type_id, subject,
            description, start_at, due_at, status, priority, organization_id, owner_id)
        SELECT now() - make_interval(days => i %% 1000), now() - make_interval(days => i %% 1000), 1,
               CASE i %% 3 WHEN 0 THEN %(first_account)s + 1 + i %% (%(accounts)s - 1)
                           WHEN 1 THEN %(first_contact)s + i %% %(contacts)s ELSE %(first_deal)s + i %% %(n)s END,
               CASE i %% 3 WHEN 0 THEN %(account_type)s WHEN 1 THEN %(contact_type)s ELSE %(opportunity_type)s END,
               'Task ' || i, '', NULL, now() + make_interval(days => i %% 60 - 30),
               CASE WHEN i %% 2 = 0 THEN 'completed' ELSE 'not_started' END, 'normal', %(org)s,
               (%(reps)s::bigint[])[1 + i %% cardinality(%(reps)s::bigint[])]
        FROM generate_series(1, %(n)s / 2) i;

        INSERT INTO accounts_note (created_at, updated_at, version, related_id, related_type_id, text,
            organization_id, owner_id)
        SELECT now() - make_interval(days => i %% 1000), now() - make_interval(days => i %% 1000), 1,
               CASE i %% 3 WHEN 0 THEN %(first_account)s + 1 + i %% (%(accounts)s - 1)
                           WHEN 1 THEN %(first_contact)s + i %% %(contacts)s ELSE %(first_deal)s + i %% %(n)s END,
               CASE i %% 3 WHEN 0 THEN %(account_type)s WHEN 1 THEN %(contact_type)s ELSE %(opportunity_type)s END,
               'Note ' || i, %(org)s, (%(reps)s::bigint[])[1 + i %% cardinality(%(reps)s::bigint[])]
        FROM generate_series(1, %(n)s / 2) i;

        -- The value history: each won deal adds a point to its account's chart.
        INSERT INTO accounts_accountvaluechange (account_id, lifetime_value, changed_at)
        SELECT account_id, sum(close_revenue_base) OVER (PARTITION BY account_id ORDER BY closed_at, id), closed_at
        FROM accounts_opportunity WHERE organization_id = %(org)s AND status = 'won';
        """,
        params,
    )
    lifetime_recompute_sql(organization.pk)
    return _finish(organization, reps, manager, params)


def _vacuum() -> None:
    """What autovacuum keeps up on a live database: planner statistics and the visibility map (index-only
    scans). Outside a transaction."""
    with connection.cursor() as cursor:
        cursor.execute(
            "VACUUM ANALYZE accounts_account, accounts_contact, accounts_account_contacts, accounts_businesscustomer, "
            "accounts_opportunity, accounts_historicalopportunity, accounts_task, accounts_note, "
            "accounts_accountchannelvalue, accounts_accountvaluechange"
        )


def _finish(organization, reps, manager, params) -> LargeCrm:
    return LargeCrm(
        organization=organization,
        rep=reps[0],
        manager=manager,
        rep_authorization=basic_auth(reps[0].username, api_key_issue(user=reps[0]).raw),
        manager_authorization=basic_auth(manager.username, api_key_issue(user=manager).raw),
        opportunities=params["n"],
        key_account_id=params["first_account"],
        typical_account_id=params["first_account"] + params["accounts"] // 2,
    )
