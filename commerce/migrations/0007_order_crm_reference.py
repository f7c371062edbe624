"""Orders keep the CRM reference and category keys of a customer of an external CRM; each organization gets
one anonymous customer. The CRM reference is searched anywhere in it (icontains): on PostgreSQL a trigram
index over the expression the search runs answers it from the index, as accounts' 0012 does for names."""

from django.conf import settings
from django.db import migrations, models

TRIGRAM_INDEX = "commerce_order_crm_reference_search"


def _trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm", params=None)
    schema_editor.execute(
        f'CREATE INDEX IF NOT EXISTS "{TRIGRAM_INDEX}" ON "commerce_order" '
        'USING gin ((UPPER(("crm_reference")::text)) gin_trgm_ops)',
        params=None,
    )


def _drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f'DROP INDEX IF EXISTS "{TRIGRAM_INDEX}"', params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0014_pipeline_closed_days'),
        ('backoffice', '0005_change_log_cheaper_writes'),
        ('commerce', '0006_merge_promotions'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='commercecustomer',
            name='is_anonymous',
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.AddField(
            model_name='order',
            name='crm_category_keys',
            field=models.JSONField(blank=True, default=dict, editable=False, verbose_name='CRM category keys'),
        ),
        migrations.AddField(
            model_name='order',
            name='crm_reference',
            field=models.CharField(blank=True, editable=False, max_length=255, verbose_name='CRM reference'),
        ),
        migrations.AddIndex(
            model_name='order',
            index=models.Index(condition=models.Q(('crm_reference', ''), _negated=True), fields=['organization', 'crm_reference'], name='order_crm_reference'),
        ),
        migrations.AddConstraint(
            model_name='commercecustomer',
            constraint=models.UniqueConstraint(condition=models.Q(('is_anonymous', True)), fields=('organization',), name='commerce_one_anonymous_customer'),
        ),
        migrations.AddConstraint(
            model_name='commercecustomer',
            constraint=models.CheckConstraint(condition=models.Q(('is_anonymous', False), ('parent__isnull', True), _connector='OR'), name='commerce_anonymous_customer_is_root'),
        ),
        migrations.RunPython(_trigram_index, _drop_trigram_index, elidable=False),
    ]
