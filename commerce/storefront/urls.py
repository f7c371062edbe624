"""Storefront routes, mounted at /store/."""

from django.urls import path

from commerce.storefront import views

app_name = "storefront"

urlpatterns = [
    path("", views.home, name="home"),
    path("sign-up/", views.sign_up, name="sign-up"),
    path("sign-in/", views.sign_in, name="sign-in"),
    path("sign-out/", views.sign_out, name="sign-out"),
    path("lists/", views.shopping_lists, name="lists"),
    path("lists/<int:pk>/", views.shopping_list_detail, name="list-detail"),
    path("lists/<int:pk>/delete/", views.shopping_list_delete, name="list-delete"),
    path("lists/<int:pk>/lines/<int:line_pk>/", views.shopping_list_line, name="list-line"),
    path("lists/<int:pk>/request-quote/", views.request_quote, name="request-quote"),
    path("quotes/", views.quotes, name="quotes"),
    path("quotes/<int:pk>/", views.quote_detail, name="quote-detail"),
    path("quotes/<int:pk>/accept/", views.quote_accept, name="quote-accept"),
    path("orders/", views.orders, name="orders"),
    path("orders/<int:pk>/", views.order_detail, name="order-detail"),
]
