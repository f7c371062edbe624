from django.urls import path

from crmconnector import views

app_name = "crmconnector"

urlpatterns = [
    path("", views.configuration_list, name="configuration-list"),
    path("activation/", views.activation_view, name="activation"),
    path("new/", views.configuration_edit, name="configuration-create"),
    path("<int:pk>/", views.configuration_edit, name="configuration-edit"),
    path("<int:pk>/test/", views.configuration_test, name="configuration-test"),
    path("<int:pk>/delete/", views.configuration_delete_view, name="configuration-delete"),
]
