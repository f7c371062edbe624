"""Won and lost deals summed per day of closing, kept by the database like the open columns' totals.

The board's won and lost columns count the deals closed in the last CLOSED_DAYS_ON_BOARD days: summed
from the deals, that read grows with every deal the team closes (6,800 rows for a team at 100,000
deals). PostgreSQL: a trigger on opportunities moves each closed, unarchived deal's count, amount and
weighted amount between (organization, owner, status, UTC day of closing) rows on insert, update and
delete, whatever wrote them; a deal closed at an unknown time is in the row of no day. Existing deals
are counted once here. Other databases sum the deals.
"""

from decimal import Decimal

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

POSTGRES_FORWARD = """
CREATE FUNCTION accounts_pipeline_closed_day_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.archived_at IS NULL AND OLD.status IN ('won', 'lost') THEN
        UPDATE accounts_pipelineclosedday
        SET count = count - 1,
            total = total - coalesce(OLD.budget_amount_base, 0),
            weighted = weighted - coalesce(round(OLD.budget_amount_base * OLD.probability / 100, 2), 0)
        WHERE organization_id = OLD.organization_id AND owner_id = OLD.owner_id AND status = OLD.status
          AND closed_on IS NOT DISTINCT FROM (OLD.closed_at AT TIME ZONE 'UTC')::date;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.archived_at IS NULL AND NEW.status IN ('won', 'lost') THEN
        INSERT INTO accounts_pipelineclosedday AS t (organization_id, owner_id, status, closed_on, count, total, weighted)
        VALUES (NEW.organization_id, NEW.owner_id, NEW.status, (NEW.closed_at AT TIME ZONE 'UTC')::date, 1,
                coalesce(NEW.budget_amount_base, 0), coalesce(round(NEW.budget_amount_base * NEW.probability / 100, 2), 0))
        ON CONFLICT (organization_id, owner_id, status, closed_on) DO UPDATE
        SET count = t.count + 1, total = t.total + EXCLUDED.total, weighted = t.weighted + EXCLUDED.weighted;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER accounts_pipeline_closed_day_insert_delete AFTER INSERT OR DELETE ON accounts_opportunity
    FOR EACH ROW EXECUTE FUNCTION accounts_pipeline_closed_day_apply();
CREATE TRIGGER accounts_pipeline_closed_day_update AFTER UPDATE ON accounts_opportunity
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.owner_id IS DISTINCT FROM NEW.owner_id
          OR OLD.organization_id IS DISTINCT FROM NEW.organization_id
          OR OLD.archived_at IS DISTINCT FROM NEW.archived_at
          OR OLD.closed_at IS DISTINCT FROM NEW.closed_at
          OR OLD.budget_amount_base IS DISTINCT FROM NEW.budget_amount_base
          OR OLD.probability IS DISTINCT FROM NEW.probability)
    EXECUTE FUNCTION accounts_pipeline_closed_day_apply();
INSERT INTO accounts_pipelineclosedday (organization_id, owner_id, status, closed_on, count, total, weighted)
SELECT organization_id, owner_id, status, (closed_at AT TIME ZONE 'UTC')::date, count(*),
       coalesce(sum(budget_amount_base), 0), coalesce(sum(round(budget_amount_base * probability / 100, 2)), 0)
FROM accounts_opportunity
WHERE archived_at IS NULL AND status IN ('won', 'lost')
GROUP BY organization_id, owner_id, status, (closed_at AT TIME ZONE 'UTC')::date;
"""
POSTGRES_BACKWARD = """
DROP TRIGGER IF EXISTS accounts_pipeline_closed_day_update ON accounts_opportunity;
DROP TRIGGER IF EXISTS accounts_pipeline_closed_day_insert_delete ON accounts_opportunity;
DROP FUNCTION IF EXISTS accounts_pipeline_closed_day_apply();
"""


def _forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_FORWARD, params=None)


def _backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0013_closed_deals_certain_probability"),
        ("backoffice", "0005_change_log_cheaper_writes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="PipelineClosedDay",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("in_progress", "In progress"),
                            ("identification_alignment", "Identification & alignment"),
                            ("needs_analysis", "Needs analysis"),
                            ("solution_development", "Solution development"),
                            ("negotiation", "Negotiation"),
                            ("won", "Closed won"),
                            ("lost", "Closed lost"),
                        ],
                        max_length=32,
                    ),
                ),
                ("closed_on", models.DateField(null=True)),
                ("count", models.IntegerField(default=0)),
                ("total", models.DecimalField(decimal_places=2, default=Decimal("0.00"), max_digits=18)),
                ("weighted", models.DecimalField(decimal_places=2, default=Decimal("0.00"), max_digits=18)),
                (
                    "organization",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="backoffice.organization",
                    ),
                ),
                (
                    "owner",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(fields=["organization", "status", "closed_on"], name="pipeline_closed_day_team")
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("organization", "owner", "status", "closed_on"),
                        name="one_pipeline_closed_day",
                        nulls_distinct=False,
                    )
                ],
            },
        ),
        migrations.RunPython(_forward, _backward),
    ]
