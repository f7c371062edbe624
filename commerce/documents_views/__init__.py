"""Back-office web pages of shipments and invoices (mounted under /sales/)."""
