"""Trigram indexes for the global search (PostgreSQL).

The search matches a typed fragment anywhere in a name, an e-mail or a phone number (`icontains`, which
PostgreSQL runs as `UPPER(column::text) LIKE UPPER('%fragment%')`). A GIN index of pg_trgm over that same
expression answers it from the index at any number of rows. Other databases scan, and get no index here.
"""

from django.db import migrations

SEARCHED = {
    "accounts_account": ["name"],
    "accounts_contact": ["first_name", "last_name", "email", "phone"],
    "accounts_businesscustomer": ["name", "email", "phone"],
    "accounts_lead": ["name", "first_name", "last_name", "company_name", "email", "phone"],
    "accounts_opportunity": ["name"],
}


def _index(table: str, column: str) -> str:
    return f"{table}_{column}_search"


def _forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm", params=None)
    for table, columns in SEARCHED.items():
        for column in columns:
            schema_editor.execute(
                f'CREATE INDEX IF NOT EXISTS "{_index(table, column)}" ON "{table}" '
                f'USING gin ((UPPER(("{column}")::text)) gin_trgm_ops)',
                params=None,
            )


def _backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, columns in SEARCHED.items():
        for column in columns:
            schema_editor.execute(f'DROP INDEX IF EXISTS "{_index(table, column)}"', params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0011_recently_viewed_record"),
    ]

    operations = [migrations.RunPython(_forward, _backward, elidable=False)]
