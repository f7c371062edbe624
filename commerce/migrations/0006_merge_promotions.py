"""Promotions and the POS were added beside shipments, invoices and the storefront."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("commerce", "0004_promotions"),
        ("commerce", "0005_merge_documents_storefront"),
    ]

    operations = []
