"""Commerce rows: customers and their users, the product list, orders with lines, payments and refunds,
shipments and invoices, shopping lists, requests for quote and quotes."""

from commerce.models.catalog import Product
from commerce.models.customers import MAX_HIERARCHY_DEPTH, CommerceCustomer, CustomerGroup, CustomerUser
from commerce.models.documents import (
    DocumentCounter,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Shipment,
    ShipmentLine,
    ShipmentStatus,
)
from commerce.models.orders import Order, OrderLine, Payment, Refund
from commerce.models.promotions import AppliedPromotion, PosSale, Promotion  # noqa: F401
from commerce.models.storefront import (
    Quote,
    QuoteLine,
    QuoteStatus,
    RequestForQuote,
    RequestForQuoteLine,
    RequestStatus,
    ShoppingList,
    ShoppingListLine,
)
from commerce.models.webstore import WebStoreCustomer, WebStoreOrder, WebStoreOrderStatus

__all__ = [
    "MAX_HIERARCHY_DEPTH",
    "CommerceCustomer",
    "CustomerGroup",
    "CustomerUser",
    "DocumentCounter",
    "Invoice",
    "InvoiceLine",
    "InvoiceStatus",
    "Order",
    "OrderLine",
    "Payment",
    "Product",
    "Quote",
    "QuoteLine",
    "QuoteStatus",
    "RequestForQuote",
    "RequestForQuoteLine",
    "RequestStatus",
    "ShoppingList",
    "ShoppingListLine",
    "Refund",
    "Shipment",
    "ShipmentLine",
    "ShipmentStatus",
    "WebStoreCustomer",
    "WebStoreOrder",
    "WebStoreOrderStatus",
]
