"""OpenAPI description of the API: the plug-in authentication and every error answer the API gives.

drf-standardized-errors documents the error bodies its handler writes, but guesses from a view's
classes which of them an operation can give. These guesses miss answers of this API: a service's
rule refused with 400 on any write, the sign-in limit (429) on every authenticated call, 412 on a
stale If-Match, and the answers of the request limits middleware (400, 413, 431) on any request.
`AutoSchema` documents them all, and the field-by-field error enums (which cannot know the errors
the services raise, nor list indexes such as `emails.2`) give way to one validation error shape.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_standardized_errors.openapi import AutoSchema as StandardizedErrorsAutoSchema
from drf_standardized_errors.openapi_serializers import ClientErrorEnum, ValidationErrorEnum
from rest_framework import serializers
from rest_framework.permissions import AllowAny


class ApiKeyBasicScheme(OpenApiAuthenticationExtension):
    target_class = "backoffice.authentication.ApiKeyBasicAuthentication"
    name = "apiKeyBasic"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "basic",
            "description": "Username, and the user's API key as the password.",
        }


class FieldErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text='Machine-readable reason, such as "required" or "does_not_exist".')
    detail = serializers.CharField(help_text="The message for a person.")
    attr = serializers.CharField(
        allow_null=True,
        help_text=(
            "The input it concerns: a field, a nested field or list item joined by dots (such as "
            '"phones.0.number"), a query parameter, a header such as "If-Match", or "non_field_errors".'
        ),
    )


class ValidationErrorResponseSerializer(serializers.Serializer):
    """Input refused: one entry per problem, each naming what it concerns."""

    type = serializers.ChoiceField(choices=ValidationErrorEnum.choices)
    errors = FieldErrorSerializer(many=True)

    class Meta:
        ref_name = "ValidationErrorResponse"


class ClientErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()
    attr = serializers.CharField(allow_null=True)


def _client_error_response(status: int, description: str) -> type[serializers.Serializer]:
    """The body of a client error answered with `status` (always of type "client_error")."""

    class Response(serializers.Serializer):
        type = serializers.ChoiceField(choices=ClientErrorEnum.choices)
        errors = ClientErrorSerializer(many=True)

        class Meta:
            ref_name = f"ErrorResponse{status}"

    Response.__doc__ = description
    Response.__name__ = f"ErrorResponse{status}Serializer"
    return Response


# Answers of this API that drf-standardized-errors does not know of (see ALLOWED_ERROR_STATUS_CODES).
ErrorResponse409Serializer = _client_error_response(409, "Other records depend on this one: nothing was deleted.")
ErrorResponse410Serializer = _client_error_response(410, "The cursor is too old: read every record again.")
ErrorResponse412Serializer = _client_error_response(412, "The record changed since the version in If-Match.")
ErrorResponse413Serializer = _client_error_response(413, "The request body is larger than the API accepts.")
ErrorResponse431Serializer = _client_error_response(431, "A request header, or all of them, is too large.")


class AutoSchema(StandardizedErrorsAutoSchema):
    """drf-standardized-errors' schema, with every error answer of this API (see the module docstring)."""

    def _should_add_error_response(self, responses: dict, status_code: str) -> bool:
        if status_code == "412":
            return status_code not in responses and any(
                parameter["name"] == "If-Match" for parameter in self._get_parameters()
            )
        if status_code == "409":
            return status_code not in responses and self.method == "DELETE"
        if status_code == "410":
            return False  # only where a view declares it in extend_schema(responses=...)
        return super()._should_add_error_response(responses, status_code)

    def _requires_authentication(self) -> bool:
        permissions = self.view.get_permissions()
        return bool(self.view.get_authenticators()) and not (len(permissions) == 1 and type(permissions[0]) is AllowAny)

    def _should_add_parse_error_response(self) -> bool:
        # The request limits middleware refuses a NUL character in the address of any request.
        return True

    def _should_add_validation_error_response(self) -> bool:
        # Any write may break a service's rule; query parameters are validated wherever there are some.
        has_query = any(parameter["in"] in ("query", "header") for parameter in self._get_parameters())
        writes = self.method in ("PUT", "PATCH", "POST", "DELETE")
        return writes or has_query or super()._should_add_validation_error_response()

    def _should_add_http403_error_response(self) -> bool:
        # Besides permission classes: CSRF on session writes, and views that refuse users without an organization.
        return self._requires_authentication() or super()._should_add_http403_error_response()

    def _should_add_http429_error_response(self) -> bool:
        # Too many wrong API keys from one client answer 429 to it, even with the right key.
        return self._requires_authentication() or super()._should_add_http429_error_response()

    def _get_filter_parameters(self):
        parameters = super()._get_filter_parameters()
        for parameter in parameters:
            schema = parameter.get("schema", {})
            plain_text = schema.get("type") == "string" and not set(schema) - {"type", "description"}
            # A filter left empty (as the web forms send it) is no filter; the schema says so.
            if schema.get("type") not in ("array", None) and not plain_text:
                parameter["schema"] = {"oneOf": [schema, {"type": "string", "maxLength": 0}]}
        return parameters

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        # A list that may not be empty says so (the serializer refuses [] with "empty").
        many = isinstance(field, serializers.ListSerializer | serializers.ListField)
        if many and not field.allow_empty and schema.get("type") == "array":
            schema.setdefault("minItems", 1)
        return schema

    def _get_serializer_for_validation_error_response(self):
        return ValidationErrorResponseSerializer
