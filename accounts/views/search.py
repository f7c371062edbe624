"""The global search in the top bar: results as one types (htmx), or as a page when the form is sent."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from accounts.search import SearchTerm
from accounts.selectors.search import global_search


@login_required
@require_http_methods(["GET"])
def search(request):
    """Records of the organization matching ?q= by name, e-mail or phone, grouped by kind."""
    text = request.GET.get("q", "")
    groups = global_search(actor=request.user, text=text)
    template = "accounts/search/_results.html" if request.htmx else "accounts/search/page.html"
    context = {"groups": groups, "q": text, "searched": SearchTerm.parse(text) is not None}
    return render(request, template, context)
