"""Configurations, properties and activations become business rows: a version, timestamps, and (for the
properties) their configuration's organization, so their changes land in the change log."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


def properties_organization(apps, schema_editor):
    Property = apps.get_model("crmconnector", "CrmConnectorProperty")
    Configuration = apps.get_model("crmconnector", "CrmConnectorConfiguration")
    for configuration_id, organization_id in Configuration.objects.values_list("id", "organization_id"):
        Property.objects.filter(configuration_id=configuration_id).update(organization_id=organization_id)


class Migration(migrations.Migration):
    dependencies = [
        ("backoffice", "0005_change_log_cheaper_writes"),
        ("crmconnector", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="crmconnectorconfiguration",
            name="version",
            field=models.PositiveIntegerField(default=1, editable=False),
        ),
        migrations.AddField(
            model_name="crmconnectorproperty",
            name="created_at",
            field=models.DateTimeField(auto_now_add=True, db_index=True, default=django.utils.timezone.now),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="crmconnectorproperty",
            name="updated_at",
            field=models.DateTimeField(auto_now=True, db_index=True),
        ),
        migrations.AddField(
            model_name="crmconnectorproperty",
            name="version",
            field=models.PositiveIntegerField(default=1, editable=False),
        ),
        migrations.AddField(
            model_name="crmconnectorproperty",
            name="organization",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="backoffice.organization",
            ),
        ),
        migrations.RunPython(properties_organization, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="crmconnectorproperty",
            name="organization",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="+", to="backoffice.organization"
            ),
        ),
        migrations.AddField(
            model_name="crmconnectoractivation",
            name="created_at",
            field=models.DateTimeField(auto_now_add=True, db_index=True, default=django.utils.timezone.now),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="crmconnectoractivation",
            name="version",
            field=models.PositiveIntegerField(default=1, editable=False),
        ),
        migrations.AlterField(
            model_name="crmconnectoractivation",
            name="updated_at",
            field=models.DateTimeField(auto_now=True, db_index=True),
        ),
    ]
