"""Content-Security-Policy for every HTML page: scripts only from the app's own static files."""

POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        # Inline style attributes (and the <style> htmx and Plotly inject) are allowed; scripts are not.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

# Per-path exceptions, by exact path. None today: the Swagger UI at /api/docs/ used to render its
# start-up code as an inline <script>; it is served with drf-spectacular's split view instead, which
# loads that code from /api/docs/?script= as a same-origin file, so the strict policy covers it too.
PATH_POLICIES: dict[str, str] = {}


class ContentSecurityPolicyMiddleware:
    """Set the policy on HTML responses that do not carry one already."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        content_type = response.get("Content-Type", "")
        if content_type.startswith("text/html") and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = PATH_POLICIES.get(request.path_info, POLICY)
        return response
