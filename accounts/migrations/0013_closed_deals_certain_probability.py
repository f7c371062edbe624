"""Closed deals are certain: won ones count at 100 % and lost ones at 0 %, as the opportunity service now
sets on closing. Deals closed before kept the estimate they had, so a won column's weighted total was
below its total; this brings them in line (one statement per status)."""

from django.db import migrations


def close_probabilities(apps, schema_editor):
    Opportunity = apps.get_model("accounts", "Opportunity")
    Opportunity.objects.filter(status="won").exclude(probability=100).update(probability=100)
    Opportunity.objects.filter(status="lost").exclude(probability=0).update(probability=0)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0012_search_trigram_indexes")]

    operations = [migrations.RunPython(close_probabilities, migrations.RunPython.noop)]
