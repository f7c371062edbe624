"""Pipeline totals kept by the database, and an index for the board's recently closed deals.

PostgreSQL: a trigger on opportunities moves each open, unarchived deal's count, amount and weighted
amount (rounded to cents per deal) between (organization, owner, status) rows on insert, update and
delete, whatever wrote them (services, bulk updates, the admin, raw SQL); existing deals are counted
once here. Other databases compute the board's totals from the deals.
"""

import django.db.models.deletion
from decimal import Decimal
from django.conf import settings
from django.db import migrations, models

POSTGRES_FORWARD = """
CREATE FUNCTION accounts_pipeline_total_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.archived_at IS NULL AND OLD.status NOT IN ('won', 'lost') THEN
        UPDATE accounts_pipelinetotal
        SET count = count - 1,
            total = total - coalesce(OLD.budget_amount_base, 0),
            weighted = weighted - coalesce(round(OLD.budget_amount_base * OLD.probability / 100, 2), 0)
        WHERE organization_id = OLD.organization_id AND owner_id = OLD.owner_id AND status = OLD.status;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.archived_at IS NULL AND NEW.status NOT IN ('won', 'lost') THEN
        INSERT INTO accounts_pipelinetotal AS t (organization_id, owner_id, status, count, total, weighted)
        VALUES (NEW.organization_id, NEW.owner_id, NEW.status, 1, coalesce(NEW.budget_amount_base, 0),
                coalesce(round(NEW.budget_amount_base * NEW.probability / 100, 2), 0))
        ON CONFLICT (organization_id, owner_id, status) DO UPDATE
        SET count = t.count + 1, total = t.total + EXCLUDED.total, weighted = t.weighted + EXCLUDED.weighted;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER accounts_pipeline_total_insert_delete AFTER INSERT OR DELETE ON accounts_opportunity
    FOR EACH ROW EXECUTE FUNCTION accounts_pipeline_total_apply();
CREATE TRIGGER accounts_pipeline_total_update AFTER UPDATE ON accounts_opportunity
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.owner_id IS DISTINCT FROM NEW.owner_id
          OR OLD.organization_id IS DISTINCT FROM NEW.organization_id
          OR OLD.archived_at IS DISTINCT FROM NEW.archived_at
          OR OLD.budget_amount_base IS DISTINCT FROM NEW.budget_amount_base
          OR OLD.probability IS DISTINCT FROM NEW.probability)
    EXECUTE FUNCTION accounts_pipeline_total_apply();
INSERT INTO accounts_pipelinetotal (organization_id, owner_id, status, count, total, weighted)
SELECT organization_id, owner_id, status, count(*), coalesce(sum(budget_amount_base), 0),
       coalesce(sum(round(budget_amount_base * probability / 100, 2)), 0)
FROM accounts_opportunity
WHERE archived_at IS NULL AND status NOT IN ('won', 'lost')
GROUP BY organization_id, owner_id, status;
"""
POSTGRES_BACKWARD = """
DROP TRIGGER IF EXISTS accounts_pipeline_total_update ON accounts_opportunity;
DROP TRIGGER IF EXISTS accounts_pipeline_total_insert_delete ON accounts_opportunity;
DROP FUNCTION IF EXISTS accounts_pipeline_total_apply();
"""


def _forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_FORWARD, params=None)


def _backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_BACKWARD, params=None)



class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0006_historical_opportunity_as_of_indexes'),
        ('backoffice', '0005_change_log_cheaper_writes'),
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='PipelineTotal',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('status', models.CharField(choices=[('in_progress', 'In progress'), ('identification_alignment', 'Identification & alignment'), ('needs_analysis', 'Needs analysis'), ('solution_development', 'Solution development'), ('negotiation', 'Negotiation'), ('won', 'Closed won'), ('lost', 'Closed lost')], max_length=32)),
                ('count', models.IntegerField(default=0)),
                ('total', models.DecimalField(decimal_places=2, default=Decimal('0.00'), max_digits=18)),
                ('weighted', models.DecimalField(decimal_places=2, default=Decimal('0.00'), max_digits=18)),
            ],
        ),
        migrations.AddIndex(
            model_name='opportunity',
            index=models.Index(fields=['organization', 'status', 'closed_at'], name='opportunity_closed'),
        ),
        migrations.AddField(
            model_name='pipelinetotal',
            name='organization',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='backoffice.organization'),
        ),
        migrations.AddField(
            model_name='pipelinetotal',
            name='owner',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddConstraint(
            model_name='pipelinetotal',
            constraint=models.UniqueConstraint(fields=('organization', 'owner', 'status'), name='one_pipeline_total_per_owner_status'),
        ),
        migrations.RunPython(_forward, _backward),
    ]
