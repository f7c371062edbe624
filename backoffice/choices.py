from django.db import models


class Role(models.TextChoices):
    """What a user may do inside an organization."""

    ADMIN = "admin", "Organization admin"
    MANAGER = "manager", "Sales manager"
    REP = "rep", "Sales rep"
