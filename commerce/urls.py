"""Routes of the commerce back-office pages, named <kind>-list / -detail / -create / -update / -export."""

from django.urls import path

from commerce.views import customer_users, customers, orders, pickers, products

app_name = "commerce"

urlpatterns = [
    path("customers/", customers.customer_list, name="customer-list"),
    path("customers/tree/", customers.customer_tree, name="customer-tree"),
    path("customers/export.csv", customers.customer_export, name="customer-export"),
    path("customers/new/", customers.customer_form, name="customer-create"),
    path("customers/<int:pk>/", customers.customer_detail, name="customer-detail"),
    path("customers/<int:pk>/edit/", customers.customer_form, name="customer-update"),
    path("customer-users/", customer_users.customer_user_list, name="customeruser-list"),
    path("customer-users/export.csv", customer_users.customer_user_export, name="customeruser-export"),
    path("customer-users/new/", customer_users.customer_user_form, name="customeruser-create"),
    path("customer-users/<int:pk>/", customer_users.customer_user_detail, name="customeruser-detail"),
    path("customer-users/<int:pk>/edit/", customer_users.customer_user_form, name="customeruser-update"),
    path("customer-groups/", customer_users.customer_group_list, name="customergroup-list"),
    path("customer-groups/export.csv", customer_users.customer_group_export, name="customergroup-export"),
    path("customer-groups/new/", customer_users.customer_group_form, name="customergroup-create"),
    path("customer-groups/<int:pk>/", customer_users.customer_group_form, name="customergroup-update"),
    path("products/", products.product_list, name="product-list"),
    path("products/export.csv", products.product_export, name="product-export"),
    path("products/new/", products.product_form, name="product-create"),
    path("products/<int:pk>/", products.product_detail, name="product-detail"),
    path("products/<int:pk>/edit/", products.product_form, name="product-update"),
    path("orders/", orders.order_list, name="order-list"),
    path("orders/export.csv", orders.order_export, name="order-export"),
    path("orders/new/", orders.order_form, name="order-create"),
    path("orders/<int:pk>/", orders.order_detail, name="order-detail"),
    path("orders/<int:pk>/edit/", orders.order_form, name="order-update"),
    path("orders/<int:pk>/pay/", orders.order_pay, name="order-pay"),
    path("orders/<int:pk>/refund/", orders.order_refund, name="order-refund"),
    path("orders/<int:pk>/cancel/", orders.order_cancel, name="order-cancel"),
    path("orders/<int:pk>/crm-reference/", orders.order_crm_reference, name="order-crm-reference"),
    path("pick/<slug:kind>/", pickers.picker, name="picker"),
]
