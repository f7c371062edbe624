"""OpenAPI description of the plug-in authentication."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyBasicScheme(OpenApiAuthenticationExtension):
    target_class = "backoffice.authentication.ApiKeyBasicAuthentication"
    name = "apiKeyBasic"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "basic",
            "description": "Username, and the user's API key as the password.",
        }
