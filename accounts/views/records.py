"""Web UI of the CRM records: lists, detail pages, create / edit / delete, the 360-degree account page.

Every record type is described once by a `RecordType` (selector, FilterSet, form, services), and
the same five views serve all of them, the NetBox way: a newcomer finds any page by analogy.
Views stay thin: reads go through the selectors, writes through the services.
"""

import csv
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.forms import HiddenInput, SelectMultiple
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.views import View
from django_filters.widgets import DateRangeWidget

from accounts import filters, forms, selectors, services
from accounts.choices import LeadStatus
from accounts.models import Account, BusinessCustomer, Contact, Lead, Opportunity
from accounts.registry import account_registry, customer_types
from accounts.services.recent import recently_viewed_note
from accounts.views.common import PAGE_SIZES, filtered_page, query_without_page
from accounts.views.lead_conversion import lead_convert_form
from backoffice.access import can_write
from backoffice.forms import apply_service_errors, style_form

# Filters on a record id: set by links from other pages, not typed in.
ID_FILTERS = ("account",)
# How many related rows the detail pages show before linking to the filtered list.
RELATED_LIMIT = 20


@dataclass(frozen=True)
class Column:
    """A list column; `ordering` names the FilterSet ordering field that sorts by it."""

    label: str
    ordering: str = ""


@dataclass(frozen=True)
class RecordType:
    """Everything the generic views need to know about one kind of record."""

    key: str
    label: str
    label_plural: str
    list_selector: Callable[..., QuerySet]
    get_selector: Callable[..., Model]
    filterset: type
    form: type[forms.RecordForm]
    save: Callable[..., Model]
    delete: Callable[..., None]
    columns: tuple[Column, ...]
    search_placeholder: str = "Search"

    def url(self, action: str, *args) -> str:
        return reverse(f"accounts:{self.key}-{action}", args=args)


def optional_url(name: str, *args) -> str | None:
    """The URL of a page another module provides, or None while it is not routed."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _save_account(*, actor, form, instance):
    return services.account_save(actor=actor, data=form.service_data(), account=instance)


def _save_contact(*, actor, form, instance):
    return services.contact_save(
        actor=actor,
        data=form.service_data(),
        contact=instance,
        emails=form.cleaned_data["emails"],
        phones=form.cleaned_data["phones"],
        addresses=form.address_list(),
    )


def _save_business_customer(*, actor, form, instance):
    return services.business_customer_save(
        actor=actor,
        data=form.service_data(),
        customer=instance,
        emails=form.cleaned_data["emails"],
        phones=form.cleaned_data["phones"],
    )


def _save_lead(*, actor, form, instance):
    return services.record_save(actor=actor, instance=instance or Lead(), data=form.service_data())


def _save_opportunity(*, actor, form, instance):
    return services.opportunity_save(actor=actor, data=form.service_data(), opportunity=instance)


def _delete_record(*, actor, instance):
    services.record_delete(actor=actor, instance=instance)


def _delete_opportunity(*, actor, instance):
    services.opportunity_delete(actor=actor, opportunity=instance)


ACCOUNT = RecordType(
    key="account",
    label="account",
    label_plural="Accounts",
    list_selector=selectors.account_list,
    get_selector=selectors.account_get,
    filterset=filters.AccountFilter,
    form=forms.AccountForm,
    save=_save_account,
    delete=_delete_record,
    columns=(
        Column("Name", "name"),
        Column("Owner"),
        Column("Default contact"),
        Column("Lifetime sales value", "lifetime_value"),
        Column("Updated", "updated_at"),
    ),
    search_placeholder="Name or description",
)
CONTACT = RecordType(
    key="contact",
    label="contact",
    label_plural="Contacts",
    list_selector=selectors.contact_row_list,
    get_selector=selectors.contact_get,
    filterset=filters.ContactFilter,
    form=forms.ContactForm,
    save=_save_contact,
    delete=_delete_record,
    columns=(
        Column("Name", "last_name"),
        Column("Account"),
        Column("Job title"),
        Column("E-mail", "email"),
        Column("Phone"),
        Column("Owner"),
        Column("Updated", "updated_at"),
    ),
    search_placeholder="Name, e-mail or job title",
)
BUSINESS_CUSTOMER = RecordType(
    key="businesscustomer",
    label="business customer",
    label_plural="Business customers",
    list_selector=selectors.business_customer_list,
    get_selector=selectors.business_customer_get,
    filterset=filters.BusinessCustomerFilter,
    form=forms.BusinessCustomerForm,
    save=_save_business_customer,
    delete=_delete_record,
    columns=(
        Column("Name", "name"),
        Column("Account"),
        Column("Contact"),
        Column("E-mail"),
        Column("Owner"),
        Column("Lifetime sales value", "lifetime_value"),
    ),
    search_placeholder="Name or e-mail",
)
LEAD = RecordType(
    key="lead",
    label="lead",
    label_plural="Leads",
    list_selector=selectors.lead_list,
    get_selector=selectors.lead_get,
    filterset=filters.LeadFilter,
    form=forms.LeadForm,
    save=_save_lead,
    delete=_delete_record,
    columns=(
        Column("Name", "name"),
        Column("Person"),
        Column("Company"),
        Column("Status", "status"),
        Column("Source"),
        Column("Owner"),
        Column("Created", "created_at"),
    ),
    search_placeholder="Name, person, company or e-mail",
)
OPPORTUNITY = RecordType(
    key="opportunity",
    label="opportunity",
    label_plural="Opportunities",
    list_selector=selectors.opportunity_list,
    get_selector=selectors.opportunity_get,
    filterset=filters.OpportunityFilter,
    form=forms.OpportunityForm,
    save=_save_opportunity,
    delete=_delete_opportunity,
    columns=(
        Column("Name", "name"),
        Column("Account"),
        Column("Status", "status"),
        Column("Probability", "probability"),
        Column("Budget", "budget_amount_base"),
        Column("Expected close", "expected_close_date"),
        Column("Owner"),
    ),
    search_placeholder="Name or account",
)


def _ordering_links(request, record_type: RecordType) -> list[dict]:
    """Column headers: a link that sorts by the column, descending when it is already ascending."""
    current = request.GET.get("ordering", "")
    headers = []
    for column in record_type.columns:
        header = {"label": column.label, "url": None, "direction": ""}
        if column.ordering:
            params = request.GET.copy()
            params.pop("page", None)
            if current == column.ordering:
                params["ordering"], header["direction"] = f"-{column.ordering}", "asc"
            else:
                params["ordering"] = column.ordering
                header["direction"] = "desc" if current == f"-{column.ordering}" else ""
            header["url"] = f"?{params.urlencode()}"
        headers.append(header)
    return headers


def _page_size_links(request, page) -> list[dict]:
    params = request.GET.copy()
    params.pop("page", None)
    links = []
    for size in PAGE_SIZES:
        params["page_size"] = str(size)
        links.append({"size": size, "url": f"?{params.urlencode()}", "active": page.paginator.per_page == size})
    return links


def _style_filter_form(form) -> None:
    """Bootstrap look for a FilterSet's form; id filters (links from an account page) stay hidden."""
    for name, form_field in form.fields.items():
        if name in ID_FILTERS:
            form_field.widget = HiddenInput()
        elif isinstance(form_field.widget, SelectMultiple):
            form_field.widget.attrs["size"] = 3
        if isinstance(form_field.widget, DateRangeWidget):
            for sub in form_field.widget.widgets:
                sub.input_type = "date"
        if name == "owner":
            form_field.label_from_instance = lambda user: user.display_name
    style_form(form)


def _scope_label(request) -> dict | None:
    """When a list is narrowed to one account (a link from its page), name it with a link to undo."""
    account_id = request.GET.get("account", "")
    if not account_id.isdecimal():
        return None
    account = selectors.account_list(actor=request.user).filter(pk=account_id).first()
    params = request.GET.copy()
    params.pop("account")
    params.pop("page", None)
    return {
        "label": f"Account: {account.name if account else 'unknown'}",
        "url": account and ACCOUNT.url("detail", account.pk),
        "clear_url": f"?{params.urlencode()}",
    }


class RecordView(LoginRequiredMixin, View):
    """Base of the record views: the record type and access to one row (404 outside the organization)."""

    record_type: RecordType | None = None

    def get_object(self, pk: int):
        return self.record_type.get_selector(actor=self.request.user, pk=pk)

    def template(self, name: str) -> str:
        return f"accounts/records/{self.record_type.key}_{name}.html"

    def base_context(self) -> dict:
        return {"record_type": self.record_type}


class RecordListView(RecordView):
    """A searchable, filterable, sortable, paginated list; a constant number of queries per page."""

    def get(self, request):
        record_type = self.record_type
        filterset, page = filtered_page(
            request,
            record_type.filterset,
            record_type.list_selector(actor=request.user),
        )
        _style_filter_form(filterset.form)
        return render(
            request,
            self.template("list"),
            {
                **self.base_context(),
                "filter": filterset,
                "page": page,
                "rows": page.object_list,
                "query": query_without_page(request),
                "headers": _ordering_links(request, record_type),
                "page_sizes": _page_size_links(request, page),
                "scope": _scope_label(request),
                "filtered": any(k not in ("page", "page_size", "ordering") and v for k, v in request.GET.items()),
                "export_query": query_without_page(request),
            },
        )


class RecordDetailView(RecordView):
    """One record with all its fields and links; edit and delete only for those who may write it."""

    def get(self, request, pk: int):
        obj = self.get_object(pk)
        recently_viewed_note(actor=request.user, record_type=self.record_type.key, record=obj)
        context = {
            **self.base_context(),
            "object": obj,
            "can_write": can_write(request.user, obj),
            **self.extra_context(obj),
        }
        return render(request, self.template("detail"), context)

    def extra_context(self, obj) -> dict:
        return {}


class AccountDetailView(RecordDetailView):
    """The 360-degree view: contacts, customers, opportunities, lifetime value and other apps' sections."""

    def extra_context(self, account: Account) -> dict:
        user = self.request.user
        history = selectors.account_lifetime_chart(account=account)
        sections = []
        for section in sorted(account_registry.sections, key=lambda s: s.order):
            context = section.context(account, user)
            if context is None:  # nothing to show for this account: no section
                continue
            html = render_to_string(section.template, context, request=self.request)
            sections.append({"key": section.key, "title": section.title, "html": html})
        return {
            "account": account,
            "contacts": list(account.contacts.order_by("last_name", "first_name", "id")[: RELATED_LIMIT + 1]),
            "customers": list(
                selectors.business_customer_list(actor=user).filter(account=account)[: RELATED_LIMIT + 1]
            ),
            "opportunities": list(
                selectors.opportunity_list(actor=user)
                .filter(account=account)
                .order_by("-created_at", "-id")[: RELATED_LIMIT + 1]
            ),
            "related_limit": RELATED_LIMIT,
            "lifetime_by_channel": selectors.account_lifetime_by_channel(account=account),
            "lifetime_history": history,
            "lifetime_history_csv": reverse("accounts:account-value-history", args=[account.pk]),
            "sections": sections,
            "activities_url": optional_url("accounts:account-activities", account.pk),
        }


class ContactDetailView(RecordDetailView):
    """A contact with all its e-mails, phones, addresses and accounts."""

    def extra_context(self, contact: Contact) -> dict:
        return {"contact": contact}


class BusinessCustomerDetailView(RecordDetailView):
    """A business customer with all its e-mails and phones, its lifetime value and opportunities."""

    def extra_context(self, customer: BusinessCustomer) -> dict:
        opportunities = selectors.opportunity_list(actor=self.request.user).filter(
            customer_type=ContentType.objects.get_for_model(BusinessCustomer), customer_id=customer.pk
        )
        return {
            "customer": customer,
            "opportunities": list(opportunities.order_by("-created_at", "-id")[: RELATED_LIMIT + 1]),
            "related_limit": RELATED_LIMIT,
        }


class LeadDetailView(RecordDetailView):
    """A lead with its convert button and the opportunities made from it."""

    def extra_context(self, lead: Lead) -> dict:
        can_convert = lead.status != LeadStatus.DISQUALIFIED and can_write(self.request.user, lead)
        return {
            "lead": lead,
            "can_convert": lead.status != LeadStatus.DISQUALIFIED,
            "convert_form": lead_convert_form(actor=self.request.user, lead=lead) if can_convert else None,
            "opportunities": list(selectors.opportunity_list(actor=self.request.user).filter(lead=lead)),
        }


class OpportunityDetailView(RecordDetailView):
    """An opportunity with its customer, close data and history."""

    def extra_context(self, opportunity: Opportunity) -> dict:
        customer = opportunity.customer if opportunity.customer_id is not None else None
        customer_url = None
        if isinstance(customer, BusinessCustomer):
            customer_url = BUSINESS_CUSTOMER.url("detail", customer.pk)
        elif customer is not None:
            # Other apps' customers link to the page their app registered with the customer type.
            customer_type = customer_types.for_model(type(customer))
            if customer_type is not None:
                customer_url = customer_type.record_url(customer)
            if customer_url is None and hasattr(customer, "get_absolute_url"):
                customer_url = customer.get_absolute_url()
        return {
            "opp": opportunity,
            "customer": customer,
            "customer_url": customer_url,
        }


class RecordFormView(RecordView):
    """Create (no pk) or edit a record; service errors appear under their fields, nothing is half-written."""

    def get_instance(self, pk: int | None):
        if pk is None:
            return None
        instance = self.get_object(pk)
        if not can_write(self.request.user, instance):
            raise PermissionDenied("You can change only the records you own or are assigned.")
        return instance

    def get_form(self, instance, data=None):
        initial = {}
        if instance is None:
            # Links such as "New contact" on an account page pre-select the account.
            account_id = self.request.GET.get("account", "")
            if account_id.isdecimal():
                initial["account"] = int(account_id)
                initial["accounts"] = [int(account_id)]
            # Another app's record as the customer ("Create opportunity" on a commerce customer's page).
            if self.request.GET.get("customer_ref"):
                initial["customer_ref"] = self.request.GET["customer_ref"][:120]
        return self.record_type.form(data, instance=instance, initial=initial, actor=self.request.user)

    def get(self, request, pk: int | None = None):
        instance = self.get_instance(pk)
        return self.render_form(self.get_form(instance), instance)

    def post(self, request, pk: int | None = None):
        instance = self.get_instance(pk)
        form = self.get_form(instance, data=request.POST)
        if form.is_valid():
            try:
                saved = self.record_type.save(actor=request.user, form=form, instance=instance)
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                verb = "saved" if instance else "created"
                messages.success(request, f"The {self.record_type.label} “{saved}” was {verb}.")
                return redirect(self.record_type.url("detail", saved.pk))
        return self.render_form(form, instance)

    def render_form(self, form, instance):
        return render(
            self.request, "accounts/records/form.html", {**self.base_context(), "form": form, "object": instance}
        )


class RecordDeleteView(RecordView):
    """Ask for confirmation, then delete; a row others depend on is refused with the reason."""

    def get_instance(self, pk: int):
        instance = self.get_object(pk)
        if not can_write(self.request.user, instance):
            raise PermissionDenied("You can delete only the records you own or are assigned.")
        return instance

    def get(self, request, pk: int):
        return self.render_confirm(self.get_instance(pk))

    def post(self, request, pk: int):
        instance = self.get_instance(pk)
        try:
            self.record_type.delete(actor=request.user, instance=instance)
        except ValidationError as error:
            return self.render_confirm(instance, refused=error.messages)
        messages.success(request, f"The {self.record_type.label} “{instance}” was deleted.")
        return redirect(self.record_type.url("list"))

    def render_confirm(self, instance, refused=None):
        context = {**self.base_context(), "object": instance, "refused": refused}
        return render(self.request, "accounts/records/confirm_delete.html", context)


RECORD_TYPES = (ACCOUNT, CONTACT, BUSINESS_CUSTOMER, LEAD, OPPORTUNITY)
DETAIL_VIEWS = {
    ACCOUNT.key: AccountDetailView,
    CONTACT.key: ContactDetailView,
    BUSINESS_CUSTOMER.key: BusinessCustomerDetailView,
    LEAD.key: LeadDetailView,
    OPPORTUNITY.key: OpportunityDetailView,
}


class AccountValueHistoryView(LoginRequiredMixin, View):
    """The account's full value history as CSV (the chart shows it downsampled), read in chunks."""

    def get(self, request, pk: int):
        account = selectors.account_get(actor=request.user, pk=pk)
        changes = selectors.account_lifetime_history(account=account).values_list("changed_at", "lifetime_value")
        writer = csv.writer(_Echo())

        def lines():
            yield writer.writerow(["changed_at", "lifetime_value"])
            for changed_at, value in changes.iterator(chunk_size=2000):
                yield writer.writerow([changed_at.isoformat(), value])

        response = StreamingHttpResponse(lines(), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="account-{account.pk}-value-history.csv"'
        return response


class _Echo:
    """A file-like object for csv.writer that hands each line back instead of storing it."""

    def write(self, value: str) -> str:
        return value
