"""Back-office pages of quotes, requests for quote and shopping lists (lists, details, quotes from requests)."""
