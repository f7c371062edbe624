"""The POS page, mounted at /pos/."""

from django.urls import path

from commerce.views.pos import pos_page

app_name = "commerce_pos"

urlpatterns = [path("", pos_page, name="home")]
