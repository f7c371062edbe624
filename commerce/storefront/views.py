"""Storefront pages: thin views that validate a form, call one storefront service, and render."""

from django.contrib import messages
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from commerce.services import quotes as quote_services
from commerce.services import storefront as services
from commerce.storefront import auth, selectors
from commerce.storefront.forms import (
    AddProductForm,
    QuantityForm,
    RequestQuoteForm,
    ShoppingListForm,
    SignInForm,
    SignUpForm,
)

PAGE_SIZE = 20


def _render(request, template: str, context: dict | None = None, status: int = 200):
    """Render a storefront page with the signed-in customer user (never the back-office user)."""
    context = {**(context or {}), "customer_user": auth.current_customer_user(request)}
    return render(request, template, context, status=status)


def _organization():
    try:
        return services.storefront_organization()
    except ImproperlyConfigured:
        raise Http404("The store is not open.") from None


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _refused(request, wait: int, template: str, form, status: int = 429):
    minutes = max(1, -(-wait // 60))
    plural = "s" if minutes != 1 else ""
    response = _render(
        request,
        template,
        {
            "form": form,
            "next": request.POST.get("next", "")[:2000],
            "refusal": f"Too many attempts from your address. Try again in {minutes} minute{plural}.",
        },
        status=status,
    )
    response["Retry-After"] = str(wait)
    return response


def home(request):
    """The store's front page: the customer user's lists, quotes and orders, or ways in."""
    _organization()
    user = auth.current_customer_user(request)
    context = {}
    if user is not None:
        context = {
            "lists": selectors.shopping_list_list(customer_user=user)[:5],
            "quotes": selectors.quote_list(customer_user=user)[:5],
            "orders": selectors.order_list(customer_user=user)[:5],
        }
    return _render(request, "commerce/storefront/home.html", context)


@require_http_methods(["GET", "POST"])
def sign_up(request):
    organization = _organization()
    form = SignUpForm(request.POST or None)
    if request.method == "POST":
        limiter = auth.sign_up_limiter()
        wait = limiter.retry_after(request, "")
        if wait:
            return _refused(request, wait, "commerce/storefront/sign_up.html", form)
        # Every attempt counts, refused ones too: "this e-mail exists already" must not be asked without end.
        limiter.record_failure(request, "")
        if form.is_valid():
            try:
                user = services.storefront_sign_up(organization=organization, **form.cleaned_data)
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                auth.sign_in(request, user)
                messages.success(request, f"Welcome, {user.first_name}! Your account is ready.")
                return redirect("storefront:lists")
    return _render(request, "commerce/storefront/sign_up.html", {"form": form}, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def sign_in(request):
    organization = _organization()
    form = SignInForm(request.POST or None)
    if request.method == "POST":
        limiter = auth.storefront_limiter()
        email = (request.POST.get("email") or "").strip()[:254]  # as the form reads it: one count per address
        wait = limiter.retry_after(request, email)
        if wait:
            return _refused(request, wait, "commerce/storefront/sign_in.html", form)
        user = None
        if form.is_valid():
            user = services.customer_user_authenticate(organization=organization, **form.cleaned_data)
        if user is None:
            limiter.record_failure(request, email)
            if form.is_valid():
                form.add_error(None, "That e-mail and password do not match an account of this store.")
            context = {"form": form, "next": request.POST.get("next", "")[:2000]}
            return _render(request, "commerce/storefront/sign_in.html", context, status=400)
        auth.sign_in(request, user)
        return redirect(auth.safe_next(request, reverse("storefront:home")))
    context = {"form": form, "next": request.GET.get("next", "")[:2000]}
    return _render(request, "commerce/storefront/sign_in.html", context)


@require_POST
def sign_out(request):
    auth.sign_out(request)
    messages.info(request, "You are signed out.")
    return redirect("storefront:home")


@auth.customer_user_required
@require_http_methods(["GET", "POST"])
def shopping_lists(request):
    user = request.customer_user
    form = ShoppingListForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.shopping_list_create(customer_user=user, name=form.cleaned_data["name"])
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            return redirect("storefront:list-detail", pk=created.pk)
    page = _page(request, selectors.shopping_list_list(customer_user=user))
    return _render(
        request,
        "commerce/storefront/lists.html",
        {"form": form, "page": page},
        status=400 if form.errors else 200,
    )


def _list_page(request, shopping_list, *, add_form=None, matches=(), request_form=None, status=200):
    return _render(
        request,
        "commerce/storefront/list_detail.html",
        {
            "shopping_list": shopping_list,
            "lines": list(shopping_list.lines.all()),
            "add_form": add_form or AddProductForm(),
            "request_form": request_form or RequestQuoteForm(),
            "matches": matches,
            "max_matches": selectors.PRODUCT_MATCHES_SHOWN,
        },
        status=status,
    )


@auth.customer_user_required
@require_http_methods(["GET", "POST"])
def shopping_list_detail(request, pk: int):
    """A list: its products with quantities; add a product by SKU or name."""
    user = request.customer_user
    shopping_list = selectors.shopping_list_get(customer_user=user, pk=pk)
    if request.method == "GET":
        return _list_page(request, shopping_list)
    form = AddProductForm(request.POST)
    matches = []
    if form.is_valid():
        matches = selectors.product_find(organization_id=user.organization_id, text=form.cleaned_data["product"])
        if len(matches) == 1:
            try:
                services.shopping_list_add_product(
                    customer_user=user,
                    shopping_list=shopping_list,
                    product=matches[0],
                    quantity=form.cleaned_data["quantity"],
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, f"Added {form.cleaned_data['quantity']} x {matches[0].name}.")
                return redirect("storefront:list-detail", pk=shopping_list.pk)
        elif not matches:
            form.add_error("product", "No product of this store has that SKU or name.")
        else:
            form.add_error("product", "Several products match: choose one below, or type its SKU.")
    shopping_list = selectors.shopping_list_get(customer_user=user, pk=pk)
    return _list_page(request, shopping_list, add_form=form, matches=matches if len(matches) > 1 else (), status=400)


@auth.customer_user_required
@require_POST
def shopping_list_line(request, pk: int, line_pk: int):
    """Change a product's quantity on a list, or take it off ("remove")."""
    user = request.customer_user
    line = selectors.shopping_list_line_get(customer_user=user, list_pk=pk, pk=line_pk)
    try:
        if "remove" in request.POST:
            services.shopping_list_line_remove(customer_user=user, line=line)
            messages.success(request, f"Removed {line.product.name}.")
        else:
            form = QuantityForm(request.POST)
            if not form.is_valid():
                raise ValidationError(form.errors["quantity"])
            services.shopping_list_line_update(customer_user=user, line=line, quantity=form.cleaned_data["quantity"])
            messages.success(request, f"{line.product.name}: quantity changed to {form.cleaned_data['quantity']}.")
    except ValidationError as error:
        messages.error(request, f"{line.product.name}: {' '.join(error.messages)}")
    return redirect("storefront:list-detail", pk=pk)


@auth.customer_user_required
@require_POST
def shopping_list_delete(request, pk: int):
    user = request.customer_user
    shopping_list = selectors.shopping_list_get(customer_user=user, pk=pk)
    services.shopping_list_delete(customer_user=user, shopping_list=shopping_list)
    messages.success(request, f"Deleted the list {shopping_list.name}.")
    return redirect("storefront:lists")


@auth.customer_user_required
@require_POST
def request_quote(request, pk: int):
    """ "Request a quote" on a shopping list: an RFQ with the list's lines."""
    user = request.customer_user
    shopping_list = selectors.shopping_list_get(customer_user=user, pk=pk)
    form = RequestQuoteForm(request.POST)
    if form.is_valid():
        try:
            rfq = services.request_for_quote_create(
                customer_user=user, shopping_list=shopping_list, note=form.cleaned_data["note"]
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"Request {rfq.number} is sent: our sales team will answer with a quote.")
            return redirect("storefront:quotes")
    return _list_page(request, shopping_list, request_form=form, status=400)


@auth.customer_user_required
def quotes(request):
    user = request.customer_user
    return _render(
        request,
        "commerce/storefront/quotes.html",
        {
            "page": _page(request, selectors.quote_list(customer_user=user)),
            "requests": selectors.request_for_quote_list(customer_user=user)[:PAGE_SIZE],
        },
    )


@auth.customer_user_required
def quote_detail(request, pk: int):
    quote = selectors.quote_get(customer_user=request.customer_user, pk=pk)
    return _render(
        request,
        "commerce/storefront/quote_detail.html",
        {"quote": quote, "lines": list(quote.lines.all()), "expired": quote_services.quote_is_expired(quote)},
    )


@auth.customer_user_required
@require_POST
def quote_accept(request, pk: int):
    """Accept a quote: an order is placed at the quoted prices."""
    quote = selectors.quote_get(customer_user=request.customer_user, pk=pk)
    try:
        order = quote_services.storefront_quote_accept(customer_user=request.customer_user, quote=quote)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("storefront:quote-detail", pk=pk)
    except PermissionDenied:
        raise Http404 from None
    messages.success(request, f"Thank you! Quote {quote.number} is accepted: order {order.number} is placed.")
    return redirect("storefront:order-detail", pk=order.pk)


@auth.customer_user_required
def orders(request):
    return _render(
        request,
        "commerce/storefront/orders.html",
        {"page": _page(request, selectors.order_list(customer_user=request.customer_user))},
    )


@auth.customer_user_required
def order_detail(request, pk: int):
    order = selectors.order_get(customer_user=request.customer_user, pk=pk)
    return _render(request, "commerce/storefront/order_detail.html", {"order": order, "lines": list(order.lines.all())})
