"""Shipments and invoices, and the storefront's shopping lists and quotes, were added side by side."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("commerce", "0004_documents"),
        ("commerce", "0004_storefront"),
    ]

    operations = []
