"""The searchable pickers' endpoint: the options of one kind of choice matching what is typed, as JSON."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.views.decorators.http import require_http_methods

from accounts.selectors.pickers import picker_options


@login_required
@require_http_methods(["GET"])
def picker(request, kind: str):
    """Options of `kind` (contact, account, businesscustomer, owner, user, team, timezone, record) matching ?q=.

    ?exclude= (repeatable) leaves out values the form refuses, such as the account being edited.
    """
    exclude = frozenset(request.GET.getlist("exclude"))
    options = picker_options(actor=request.user, kind=kind, text=request.GET.get("q", ""), exclude=exclude)
    if options is None:
        raise Http404("No such picker.")
    return JsonResponse({"results": [option.as_dict() for option in options]})
