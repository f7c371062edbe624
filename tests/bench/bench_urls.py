"""URLs while a benchmark runs: the project's own, plus the minimal reference views the figures are compared to.

Routed only by the benchmarks (settings.ROOT_URLCONF), never in the product.
"""

from django.core.serializers.json import DjangoJSONEncoder
from django.http import JsonResponse
from django.urls import include, path

from accounts.models import Contact


class BenchJSONEncoder(DjangoJSONEncoder):
    """Django's encoder, plus phone numbers (values() gives PhoneNumber objects) as their E.164 text."""

    def default(self, o):
        if o.__class__.__name__ == "PhoneNumber":
            return str(o)
        return super().default(o)


def contact_values_page(request):
    """The baseline: one page of an organization's contacts straight from values(), no auth, no serializer.

    Query: organization, page, page_size, fields and ordering (comma-separated), as the benchmark passes them.
    """
    organization_id = int(request.GET["organization"])
    page_size = int(request.GET.get("page_size", 100))
    offset = (int(request.GET.get("page", 1)) - 1) * page_size
    fields = request.GET["fields"].split(",")
    ordering = request.GET.get("ordering", "last_name,first_name,id").split(",")
    rows = list(
        Contact.objects.filter(organization_id=organization_id)
        .order_by(*ordering)
        .values(*fields)[offset : offset + page_size]
    )
    return JsonResponse({"results": rows}, encoder=BenchJSONEncoder)


urlpatterns = [
    path("bench/contacts-values/", contact_values_page, name="bench-contact-values"),
    path("", include("backoffice.urls")),
]
