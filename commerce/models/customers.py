"""Commerce customers (companies or divisions in hierarchies), their groups and their storefront users."""

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from phonenumber_field.modelfields import PhoneNumberField

from accounts.models import ZERO, Account, Channel, money_field
from backoffice.models import OrganizationModel, OwnedModel

# How deep a hierarchy may go (a root is at depth 0): deep enough for any real company, and a bound
# on every walk up or down a tree.
MAX_HIERARCHY_DEPTH = 30


class CustomerGroup(OrganizationModel):
    """A group of customers that prices and promotions can target."""

    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="customer_group_unique_name")]

    def __str__(self) -> str:
        return self.name


class CommerceCustomer(OwnedModel):
    """A company or division that buys; it belongs to exactly one CRM account.

    `root` and `depth` are kept by the services from `parent` (a root has no root and depth 0), so a
    hierarchy is read and re-related without walking it. `previous_account` remembers the account a
    customer had before the "one account per hierarchy" strategy moved it, to give it back later.
    """

    name = models.CharField(max_length=255)
    phone = PhoneNumberField(blank=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    root = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    group = models.ForeignKey(CustomerGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="customers")
    # Null only for customers made before the CRM was installed, until `backfill_accounts` runs.
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.PROTECT, related_name="commerce_customers"
    )
    previous_account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="commerce_customers")
    lifetime_value = money_field(default=ZERO, editable=False)
    # The organization's one anonymous customer: sales to nobody in particular, and every order sold to a
    # customer of an external CRM (which keeps only the CRM reference). It stays a root with no children.
    is_anonymous = models.BooleanField(default=False, editable=False)

    derived_fields = ("lifetime_value", "root", "depth", "previous_account")

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["organization", "name"]),
            models.Index(fields=["organization", "root"], name="commerce_customer_root"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(parent=F("id")), name="commerce_customer_not_own_parent"),
            models.CheckConstraint(condition=Q(depth__lte=MAX_HIERARCHY_DEPTH), name="commerce_customer_depth_bounded"),
            models.UniqueConstraint(
                fields=["organization"], condition=Q(is_anonymous=True), name="commerce_one_anonymous_customer"
            ),
            models.CheckConstraint(
                condition=Q(is_anonymous=False) | Q(parent__isnull=True), name="commerce_anonymous_customer_is_root"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def root_id_or_self(self) -> int:
        return self.root_id or self.pk


class CustomerUser(OrganizationModel):
    """A person acting for a customer in the storefront; the e-mail is the sign-in, unique per organization."""

    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = models.EmailField(max_length=254)
    password = models.CharField(max_length=128, editable=False)
    customer = models.ForeignKey(CommerceCustomer, on_delete=models.PROTECT, related_name="users")
    enabled = models.BooleanField(default=True)
    confirmed = models.BooleanField(default=False)

    # The password hash is written without a new version and never goes into the change log.
    derived_fields = ("password",)

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                "organization",
                name="customer_user_unique_email",
                violation_error_message="A customer user with this e-mail exists already.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()
