"""Adapters that let the sync engine read and write the CRM (Django) and the mailbox (Microsoft Graph)."""
