"""Back-office routes of quotes, requests for quote and shopping lists, mounted at /sales/."""

from django.urls import path

from commerce.backoffice_quotes import views

app_name = "commerce-quotes"

urlpatterns = [
    path("quotes/", views.quote_list, name="quote-list"),
    path("quotes/<int:pk>/", views.quote_detail, name="quote-detail"),
    path("quotes/<int:pk>/accept/", views.quote_accept, name="quote-accept"),
    path("quotes/<int:pk>/cancel/", views.quote_cancel, name="quote-cancel"),
    path("rfqs/", views.rfq_list, name="rfq-list"),
    path("rfqs/<int:pk>/", views.rfq_detail, name="rfq-detail"),
    path("rfqs/<int:pk>/quote/", views.quote_create_from_rfq, name="rfq-quote"),
    path("shopping-lists/", views.shopping_list_list, name="shopping-list-list"),
    path("shopping-lists/<int:pk>/", views.shopping_list_detail, name="shopping-list-detail"),
]
