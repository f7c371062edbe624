"""How the selector's endpoints answer the selector's errors: 400 per field, 404, 409 for a stale change, and 503
(documented) when the customers' source, an external CRM, cannot be reached."""

from drf_spectacular.utils import inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.settings import api_settings

from accounts.api.views import Conflict, ServiceErrorsMixin
from commerce.selector import SelectorConflict, SelectorNotFound, SelectorUnavailable, SelectorValidationError


class ServiceUnavailable(exceptions.APIException):
    status_code = 503
    default_detail = "The customers cannot be reached now; try again, or sell to another customer."
    default_code = "unavailable"


class UnavailableResponseSerializer(serializers.Serializer):
    """The customers' source (an external CRM) cannot be reached now: nothing was done."""

    type = serializers.CharField()
    errors = inline_serializer(
        "UnavailableError",
        {
            "code": serializers.CharField(),
            "detail": serializers.CharField(),
            "attr": serializers.CharField(allow_null=True),
        },
        many=True,
    )

    class Meta:
        ref_name = "ErrorResponse503"


def unavailable_response(error) -> Response:
    """503 with the standardized error body (an unreachable CRM is an expected state, not a server error to log)."""
    detail = str(error) or ServiceUnavailable.default_detail
    body = {"type": "server_error", "errors": [{"code": "unavailable", "detail": detail, "attr": None}]}
    return Response(body, status=status.HTTP_503_SERVICE_UNAVAILABLE)


class SelectorErrorsMixin(ServiceErrorsMixin):
    """The selector's errors as the API's: 400 per field, 404, 409 for a stale change, 503 when unreachable."""

    def handle_exception(self, exc):
        if isinstance(exc, SelectorConflict):
            exc = Conflict(" ".join(m for messages in exc.errors.values() for m in messages) or None)
        elif isinstance(exc, SelectorValidationError):
            exc = exceptions.ValidationError(
                {(api_settings.NON_FIELD_ERRORS_KEY if k == "__all__" else k): v for k, v in exc.errors.items()}
            )
        elif isinstance(exc, SelectorNotFound):
            exc = exceptions.NotFound(str(exc) or None)
        elif isinstance(exc, SelectorUnavailable):
            return unavailable_response(exc)
        return super().handle_exception(exc)
