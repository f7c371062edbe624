"""Forms of the commerce back-office pages: they validate input and hand it to the commerce services."""
