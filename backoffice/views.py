from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from backoffice.selectors import api_key_active_get
from backoffice.services import api_key_issue, api_key_revoke_all


@login_required
@require_http_methods(["GET", "POST"])
def my_user(request):
    """The user's own page: who they are, and their personal API key for plug-ins."""
    new_key = None
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "generate":
            # The key is rendered in this response only; it is never stored in clear or shown again.
            new_key = api_key_issue(user=request.user).raw
            messages.success(request, "A new API key was generated. Copy it now: it will not be shown again.")
        elif action == "revoke":
            if api_key_revoke_all(user=request.user):
                messages.success(request, "Your API key was revoked. Plug-ins using it can no longer connect.")
            return redirect("my-user")
        else:
            messages.error(request, "Unknown action.")
            return redirect("my-user")
    response = render(
        request,
        "backoffice/my_user.html",
        {"api_key": api_key_active_get(user=request.user), "new_key": new_key},
    )
    if new_key:
        response["Cache-Control"] = "no-store"
    return response
