"""Every organization that has users gets its anonymous customer, with an account of its own (a root keeps its
own account under both account-creation strategies, so the strategy job leaves it as it is).

Historical models write plain rows: no versions beyond the first and no change log entries, as for any row
a migration makes. Organizations without users get theirs when first needed (commerce.services.anonymous).
"""

from django.db import migrations

ANONYMOUS_NAME = "Anonymous customer"
COMMERCE_CHANNEL_NAME = "Commerce"
ADMIN = "admin"


def _owner(User, organization_id):
    users = User.objects.filter(organization_id=organization_id, is_active=True).order_by("id")
    return users.filter(role=ADMIN).first() or users.first() or User.objects.filter(
        organization_id=organization_id
    ).order_by("id").first()


def create_anonymous_customers(apps, schema_editor):
    Organization = apps.get_model("backoffice", "Organization")
    User = apps.get_model("backoffice", "User")
    Account = apps.get_model("accounts", "Account")
    Channel = apps.get_model("accounts", "Channel")
    CommerceCustomer = apps.get_model("commerce", "CommerceCustomer")
    having = set(CommerceCustomer.objects.filter(is_anonymous=True).values_list("organization_id", flat=True))
    for organization in Organization.objects.order_by("id").iterator():
        if organization.pk in having:
            continue
        owner = _owner(User, organization.pk)
        if owner is None:
            continue
        channel, _ = Channel.objects.get_or_create(
            organization_id=organization.pk, channel_type="commerce", name=COMMERCE_CHANNEL_NAME
        )
        account = Account.objects.create(organization_id=organization.pk, owner_id=owner.pk, name=ANONYMOUS_NAME)
        CommerceCustomer.objects.create(
            organization_id=organization.pk,
            owner_id=owner.pk,
            name=ANONYMOUS_NAME,
            account=account,
            channel=channel,
            is_anonymous=True,
        )


def remove_anonymous_customers(apps, schema_editor):
    """Backwards: the anonymous customers that sold nothing go (with their accounts if nothing else uses them)."""
    CommerceCustomer = apps.get_model("commerce", "CommerceCustomer")
    Account = apps.get_model("accounts", "Account")
    unused = CommerceCustomer.objects.filter(is_anonymous=True, orders__isnull=True)
    account_ids = list(unused.values_list("account_id", flat=True))
    unused.delete()
    Account.objects.filter(pk__in=account_ids, commerce_customers__isnull=True, name=ANONYMOUS_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("commerce", "0007_order_crm_reference"),
    ]

    operations = [migrations.RunPython(create_anonymous_customers, remove_anonymous_customers)]
