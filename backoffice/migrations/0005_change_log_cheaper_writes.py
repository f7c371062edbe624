"""The change log keeps no foreign-key checks (a log entry outlives nothing it names and needs no row lock
on them), and the feed's index holds numbered entries only.

SQLite alters a column by copying the table, which drops its triggers: the numbering trigger of
0004 is made again at the end.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# As in 0004.
SQLITE_TRIGGER = """
CREATE TRIGGER IF NOT EXISTS backoffice_changelog_sequence AFTER INSERT ON backoffice_changelogentry
BEGIN
    UPDATE backoffice_changelogentry SET sequence = NEW.id WHERE id = NEW.id;
END;
"""


def _renumbering_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_TRIGGER)


class Migration(migrations.Migration):

    dependencies = [
        ('backoffice', '0004_change_log_commit_sequence'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='changelogentry',
            name='changelog_org_sequence',
        ),
        migrations.AlterField(
            model_name='changelogentry',
            name='actor',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AlterField(
            model_name='changelogentry',
            name='content_type',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='contenttypes.contenttype'),
        ),
        migrations.AlterField(
            model_name='changelogentry',
            name='new_owner',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AlterField(
            model_name='changelogentry',
            name='old_owner',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AlterField(
            model_name='changelogentry',
            name='organization',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='backoffice.organization'),
        ),
        migrations.AddIndex(
            model_name='changelogentry',
            index=models.Index(condition=models.Q(('sequence__isnull', False)), fields=['organization', 'sequence'], name='changelog_org_sequence'),
        ),
        migrations.RunPython(_renumbering_trigger, migrations.RunPython.noop),
    ]
