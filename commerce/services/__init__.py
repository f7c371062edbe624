"""Commerce writes: customers (hierarchies, accounts per the strategy), products, orders and their value."""

from commerce.services.accounts import customers_relate_accounts
from commerce.services.customers import (
    channel_commerce_get,
    customer_create,
    customer_group_save,
    customer_move_account,
    customer_update,
    customer_user_create,
    customer_user_update,
)
from commerce.services.orders import (
    LineInput,
    order_cancel,
    order_delete,
    order_move_customer,
    order_pay,
    order_place,
    order_refund,
    order_update,
    product_save,
)
from commerce.services.strategy import (
    account_strategy_get,
    account_strategy_preview,
    account_strategy_update,
    accounts_backfill,
)
from commerce.services.webstore import web_store_channel_get, web_store_ingest

__all__ = [
    "LineInput",
    "account_strategy_get",
    "account_strategy_preview",
    "account_strategy_update",
    "accounts_backfill",
    "channel_commerce_get",
    "customer_create",
    "customer_group_save",
    "customer_move_account",
    "customer_update",
    "customer_user_create",
    "customer_user_update",
    "customers_relate_accounts",
    "order_cancel",
    "order_delete",
    "order_move_customer",
    "order_pay",
    "order_place",
    "order_refund",
    "order_update",
    "product_save",
    "web_store_channel_get",
    "web_store_ingest",
]
