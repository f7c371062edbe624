"""Commerce rows: customers and their users, the product list, orders with lines, payments and refunds."""

from commerce.models.catalog import Product
from commerce.models.customers import MAX_HIERARCHY_DEPTH, CommerceCustomer, CustomerGroup, CustomerUser
from commerce.models.orders import Order, OrderLine, Payment, Refund
from commerce.models.promotions import AppliedPromotion, PosSale, Promotion  # noqa: F401
from commerce.models.webstore import WebStoreCustomer, WebStoreOrder, WebStoreOrderStatus

__all__ = [
    "MAX_HIERARCHY_DEPTH",
    "CommerceCustomer",
    "CustomerGroup",
    "CustomerUser",
    "Order",
    "OrderLine",
    "Payment",
    "Product",
    "Refund",
    "WebStoreCustomer",
    "WebStoreOrder",
    "WebStoreOrderStatus",
]
