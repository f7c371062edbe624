"""The CRM Connector Configuration window (organization admins): configurations, properties, test, switch."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from backoffice.forms import apply_service_errors
from backoffice.http import safe_next_url
from backoffice.org_settings import can_configure
from crmconnector.forms import ActivationForm, ConfigurationForm, PropertyFormSet
from crmconnector.models import CrmConnectorActivation, CrmConnectorConfiguration
from crmconnector.services import (
    PROPERTIES_ERROR_KEY,
    activation_update,
    configuration_delete,
    configuration_save,
    connection_test,
)

PAGE_SIZE = 25
MAX_SEARCH = 100


def _admin_only(request) -> None:
    if not can_configure(request.user) or not request.user.organization_id:
        raise PermissionDenied("Only the organization's admins configure the CRM connector.")


def _configurations(request):
    return CrmConnectorConfiguration.objects.filter(organization_id=request.user.organization_id)


def _configuration(request, pk: int) -> CrmConnectorConfiguration:
    return get_object_or_404(_configurations(request), pk=pk)


def _activation_form(request, data=None) -> ActivationForm:
    activation = CrmConnectorActivation.objects.filter(organization_id=request.user.organization_id).first()
    initial = {
        "enabled": bool(activation and activation.enabled),
        "configuration": activation and activation.configuration_id,
    }
    return ActivationForm(data, organization_id=request.user.organization_id, initial=initial)


def _list_page(request, activation_form: ActivationForm, status: int = 200):
    query = (request.GET.get("q") or "").strip()[:MAX_SEARCH]
    rows = _configurations(request).annotate(property_count=Count("properties"))
    if query:
        rows = rows.filter(name__icontains=query)
    ordering = "-name" if request.GET.get("sort") == "-name" else "name"
    page = Paginator(rows.order_by(ordering, "pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    activation = CrmConnectorActivation.objects.filter(organization_id=request.user.organization_id).first()
    context = {
        "page": page,
        "rows": list(page.object_list),
        "query": query,
        "page_query": urlencode({k: v for k, v in (("q", query), ("sort", request.GET.get("sort"))) if v}),
        "ordering": ordering,
        "activation_form": activation_form,
        "active_id": activation.configuration_id if activation and activation.enabled else None,
    }
    return render(request, "crmconnector/configuration_list.html", context, status=status)


@login_required
def configuration_list(request):
    """Every configuration of the organization, and the switch that chooses the one in use."""
    _admin_only(request)
    return _list_page(request, _activation_form(request))


@login_required
@require_POST
def activation_view(request):
    _admin_only(request)
    form = _activation_form(request, request.POST)
    if form.is_valid():
        try:
            activation = activation_update(
                actor=request.user,
                enabled=form.cleaned_data["enabled"],
                configuration=form.cleaned_data["configuration"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            if activation.enabled:
                messages.success(request, f"The CRM connector is on, with {activation.configuration}.")
            else:
                messages.success(request, "The CRM connector is off: the standard customer selector is back.")
            return redirect(safe_next_url(request, reverse("crmconnector:configuration-list")))
    return _list_page(request, form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def configuration_edit(request, pk: int | None = None):
    """Create or change a configuration with its properties; every rule is checked before anything is saved."""
    _admin_only(request)
    configuration = _configuration(request, pk) if pk else CrmConnectorConfiguration()
    property_problems: list[str] = []
    if request.method == "POST":
        form = ConfigurationForm(request.POST, instance=configuration)
        formset = PropertyFormSet(request.POST, instance=configuration, prefix="properties")
        if form.is_valid() and formset.is_valid():
            try:
                saved = configuration_save(
                    actor=request.user,
                    configuration=form.instance,
                    properties=[f.instance for f in formset.kept_forms()],
                    secret=form.secret_value(),
                )
            except ValidationError as error:
                if hasattr(error, "error_dict"):
                    property_problems = [m for e in error.error_dict.pop(PROPERTIES_ERROR_KEY, []) for m in e.messages]
                    if error.error_dict:
                        apply_service_errors(form, error)
                else:
                    apply_service_errors(form, error)
            else:
                messages.success(request, f"Configuration {saved} saved.")
                return redirect("crmconnector:configuration-edit", pk=saved.pk)
        status = 400
    else:
        form = ConfigurationForm(instance=configuration)
        formset = PropertyFormSet(instance=configuration, prefix="properties")
        status = 200
    context = {
        "form": form,
        "formset": formset,
        "object": configuration if configuration.pk else None,
        "property_problems": property_problems + list(formset.non_form_errors()) if formset.is_bound else [],
    }
    return render(request, "crmconnector/configuration_form.html", context, status=status)


@login_required
@require_POST
def configuration_test(request, pk: int):
    """The "Test connection" button: the connector's health check with the stored configuration."""
    _admin_only(request)
    configuration = _configuration(request, pk)
    ok, message = connection_test(actor=request.user, configuration=configuration)
    (messages.success if ok else messages.error)(request, message)
    return redirect("crmconnector:configuration-edit", pk=configuration.pk)


@login_required
@require_POST
def configuration_delete_view(request, pk: int):
    _admin_only(request)
    configuration = _configuration(request, pk)
    try:
        configuration_delete(actor=request.user, configuration=configuration)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("crmconnector:configuration-edit", pk=configuration.pk)
    messages.success(request, f"Configuration {configuration} deleted.")
    return redirect("crmconnector:configuration-list")
