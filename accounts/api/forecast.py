"""The forecast endpoint: GET /api/crm/forecast/ with the same filters and figures as the forecast page."""

import zoneinfo

from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.views import ServiceErrorsMixin
from accounts.forecast import forecast_compare
from backoffice.filters import MAX_ID


@extend_schema_field({"oneOf": [{"type": "string", "format": "date"}, {"type": "string", "maxLength": 0}]})
class OptionalDateField(serializers.DateField):
    """A date in the query string; left empty (as the forecast form sends it) it is no date, like an empty filter."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def validate_empty_values(self, data):
        if data == "":
            return True, None
        return super().validate_empty_values(data)


class ForecastQuerySerializer(serializers.Serializer):
    """The forecast's filters, from the query string."""

    owner = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        help_text=(
            "Owner user id; repeat for several owners (everyone when absent). An id of no user of the "
            "organization counts no opportunity."
        ),
    )
    date_from = OptionalDateField(help_text="Expected close date from (inclusive).")
    date_to = OptionalDateField(help_text="Expected close date to (inclusive).")
    compare_to = OptionalDateField(
        help_text=(
            "Also give the figures as they stood at the end of this day, and the difference. A day after today "
            "(in the caller's time zone) compares with today: nothing has changed since now, so the earlier "
            "figures are the current ones, the difference is zero and `compare_to` in the answer is today."
        )
    )


class FiguresSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Number of open opportunities.")
    total = serializers.DecimalField(max_digits=20, decimal_places=2, help_text="Sum of budgets, base currency.")
    weighted = serializers.DecimalField(
        max_digits=20, decimal_places=2, help_text="Sum of budget × probability, base currency."
    )


class MonthFiguresSerializer(FiguresSerializer):
    month = serializers.DateField(help_text="First day of the month of expected close.")


class ForecastFiguresSerializer(FiguresSerializer):
    """Figures of the opportunities with a close date, those without (indeterminate), and per month."""

    indeterminate = FiguresSerializer(help_text="Open opportunities with no expected close date.")
    months = MonthFiguresSerializer(many=True)
    currency = serializers.CharField(help_text="The organization's base currency.")
    as_of = serializers.DateTimeField(allow_null=True, help_text="The instant of a past forecast; null for now.")


class DifferenceSerializer(FiguresSerializer):
    indeterminate = FiguresSerializer()


class ForecastSerializer(serializers.Serializer):
    """The current forecast and, when compare_to is given, the earlier one and the difference (now − then)."""

    current = ForecastFiguresSerializer()
    compare_to = serializers.DateField(allow_null=True)
    earlier = ForecastFiguresSerializer(allow_null=True)
    difference = DifferenceSerializer(allow_null=True)


class ForecastView(ServiceErrorsMixin, APIView):
    """Forecast of the organization's open opportunities (neither won nor lost)."""

    @extend_schema(
        operation_id="crm_forecast_retrieve",
        parameters=[ForecastQuerySerializer],
        responses={200: ForecastSerializer},
        description=(
            "Count, total and weighted forecast in the base currency; opportunities with no expected close "
            "date are reported apart as indeterminate, and the close-date range does not exclude them."
        ),
    )
    def get(self, request):
        query = ForecastQuerySerializer(data=request.query_params, context={"request": request})
        query.is_valid(raise_exception=True)
        filters = query.validated_data
        compare_to = filters.get("compare_to")
        if compare_to is not None:
            # No one knows the figures of a day to come: as far as anyone can tell, they are today's.
            compare_to = min(compare_to, timezone.localdate(timezone=zoneinfo.ZoneInfo(request.user.time_zone)))
        result = forecast_compare(
            actor=request.user,
            owners=filters.get("owner") or None,
            date_from=filters.get("date_from"),
            date_to=filters.get("date_to"),
            compare_to=compare_to,
        )
        return Response(ForecastSerializer(result).data)


urlpatterns = [path("forecast/", ForecastView.as_view(), name="api-crm-forecast")]
