"""Change log entries get their sequence number when their transaction commits, in commit order.

PostgreSQL: a deferred constraint trigger numbers the transaction's entries at commit, under a
per-organization transaction lock, so numbers of one organization are given in commit order and a
feed reader keeping the last number it saw never misses an entry committed later with a smaller one.
SQLite has one writer at a time, so the row id already is in commit order.
"""

from django.db import migrations

POSTGRES_FORWARD = """
CREATE SEQUENCE backoffice_changelog_commit_seq;
CREATE FUNCTION backoffice_changelog_number() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(1667785063, (NEW.organization_id % 2147483647)::int);
    UPDATE backoffice_changelogentry SET sequence = nextval('backoffice_changelog_commit_seq') WHERE id = NEW.id;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER backoffice_changelog_sequence
    AFTER INSERT ON backoffice_changelogentry
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION backoffice_changelog_number();
"""
POSTGRES_BACKWARD = """
DROP TRIGGER IF EXISTS backoffice_changelog_sequence ON backoffice_changelogentry;
DROP FUNCTION IF EXISTS backoffice_changelog_number();
DROP SEQUENCE IF EXISTS backoffice_changelog_commit_seq;
"""
SQLITE_FORWARD = """
CREATE TRIGGER backoffice_changelog_sequence AFTER INSERT ON backoffice_changelogentry
BEGIN
    UPDATE backoffice_changelogentry SET sequence = NEW.id WHERE id = NEW.id;
END;
"""
SQLITE_BACKWARD = "DROP TRIGGER IF EXISTS backoffice_changelog_sequence;"


def _run(sql_by_vendor):
    def run(apps, schema_editor):
        sql = sql_by_vendor.get(schema_editor.connection.vendor)
        if sql is None:
            raise RuntimeError(f"The change log needs PostgreSQL or SQLite, not {schema_editor.connection.vendor}.")
        if schema_editor.connection.vendor == "sqlite":
            schema_editor.execute(sql)
        else:
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("backoffice", "0003_change_log_references_settings_jobs")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRES_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": POSTGRES_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        )
    ]
