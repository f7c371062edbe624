"""Web pages of commerce for back-office users."""
