"""Choices of commerce rows."""

from django.db import models


class OrderStatus(models.TextChoices):
    OPEN = "open", "Open"
    SHIPPED = "shipped", "Shipped"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


class PaymentStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PARTIALLY_PAID = "partially_paid", "Partially paid"
    PAID = "paid", "Paid in full"
    PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"
    REFUNDED = "refunded", "Refunded"


# Orders in these payment states count toward the lifetime sales value (unless cancelled).
COUNTING_PAYMENT_STATUSES = (PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED)


class PaymentMethod(models.TextChoices):
    CASH = "cash", "Cash"
    CARD = "card", "Card"
    TRANSFER = "transfer", "Bank transfer"


class AccountStrategy(models.TextChoices):
    EACH = "each", "One account for every customer"
    ROOT = "root", "One account for a whole customer hierarchy"
