from drf_spectacular.plumbing import build_basic_type, build_parameter_type
from drf_spectacular.types import OpenApiTypes
from rest_framework import pagination, serializers

MAX_PAGE_SIZE = 500
MAX_PAGE = 2**31 - 1


class PageQuerySerializer(serializers.Serializer):
    page = serializers.IntegerField(min_value=1, max_value=MAX_PAGE, required=False)
    page_size = serializers.IntegerField(min_value=1, max_value=MAX_PAGE_SIZE, required=False)


class PageNumberPagination(pagination.PageNumberPagination):
    """Every list is paginated: ?page=N&page_size=M (at most 500).

    Both are validated like any other input: a page or size that is not a positive whole number (or a
    size over the maximum) answers 400 naming the parameter, rather than silently meaning the default.
    A page past the last answers 404.
    """

    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    last_page_strings = ()

    def _query(self, request) -> dict:
        query = PageQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return query.validated_data

    def paginate_queryset(self, queryset, request, view=None):
        self._validated = self._query(request)
        return super().paginate_queryset(queryset, request, view)

    def get_page_size(self, request):
        return self._validated.get("page_size", self.page_size)

    def get_page_number(self, request, paginator):
        return self._validated.get("page", 1)

    def get_schema_operation_parameters(self, view):
        page_schema = {**build_basic_type(OpenApiTypes.INT), "minimum": 1, "maximum": MAX_PAGE}
        size_schema = {**build_basic_type(OpenApiTypes.INT), "minimum": 1, "maximum": self.max_page_size}
        return [
            build_parameter_type(
                name=self.page_query_param,
                schema=page_schema,
                location="query",
                description="A page number within the paginated result set (a page past the last answers 404).",
            ),
            build_parameter_type(
                name=self.page_size_query_param,
                schema=size_schema,
                location="query",
                description=f"Results per page, 1 to {self.max_page_size} (default {self.page_size}).",
            ),
        ]
