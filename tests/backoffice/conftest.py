from tests.backoffice.changes_support import numbered_now  # noqa: F401  (a fixture of the change log tests)
