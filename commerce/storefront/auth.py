"""Storefront sessions, kept apart from back-office sign-ins.

A customer user's id lives in the session under its own key, with a hash of its password so that a
changed password ends every session. Signing in to the storefront starts a fresh session (any
back-office sign-in of that browser ends), and a session that carries a back-office sign-in is never
taken as a storefront one. Back-office pages and the API look only at Django's own key, so a customer
user is anonymous there.
"""

import functools
from urllib.parse import urlencode

from django.contrib.auth import SESSION_KEY as BACKOFFICE_SESSION_KEY
from django.middleware.csrf import rotate_token
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.http import url_has_allowed_host_and_scheme

from backoffice.signin_limits import SignInLimiter
from commerce.models import CustomerUser

SESSION_KEY = "_storefront_customer_user"


def _password_hash(user: CustomerUser) -> str:
    return salted_hmac("commerce.storefront.session", user.password, algorithm="sha256").hexdigest()


def sign_in(request, user: CustomerUser) -> None:
    """Start a new session for the customer user (a new session id and CSRF token)."""
    request.session.flush()
    request.session[SESSION_KEY] = {"id": user.pk, "hash": _password_hash(user)}
    rotate_token(request)
    request.customer_user = user


def sign_out(request) -> None:
    """End the session."""
    request.session.flush()
    request.customer_user = None


def current_customer_user(request) -> CustomerUser | None:
    """The enabled customer user this session belongs to, or None."""
    if hasattr(request, "customer_user"):
        return request.customer_user
    user = None
    data = request.session.get(SESSION_KEY)
    if isinstance(data, dict) and BACKOFFICE_SESSION_KEY not in request.session and isinstance(data.get("id"), int):
        candidate = CustomerUser.objects.select_related("customer").filter(pk=data["id"], enabled=True).first()
        if candidate is not None and constant_time_compare(str(data.get("hash", "")), _password_hash(candidate)):
            user = candidate
    request.customer_user = user
    return user


def safe_next(request, default: str) -> str:
    """Where to go after signing in: a storefront page of this site, or the default."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith(reverse("storefront:home")) and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def customer_user_required(view):
    """Pages for signed-in customer users: others are sent to the sign-in page (and back afterwards)."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if current_customer_user(request) is None:
            return redirect(reverse("storefront:sign-in") + "?" + urlencode({"next": request.get_full_path()}))
        return view(request, *args, **kwargs)

    return wrapper


def storefront_limiter() -> SignInLimiter:
    """Failed storefront sign-ins, limited like the back office's (per client, and per e-mail)."""
    from django.conf import settings

    return SignInLimiter(
        scope="storefront",
        client_limit=settings.LOGIN_FAILURE_LIMIT,
        username_limit=settings.AUTH_USERNAME_FAILURE_LIMIT,
        window=settings.LOGIN_FAILURE_WINDOW,
    )


def sign_up_limiter() -> SignInLimiter:
    """Sign-ups per client address: each counts, so one address cannot make customers without end."""
    from django.conf import settings

    return SignInLimiter(
        scope="storefront-sign-up",
        client_limit=settings.LOGIN_FAILURE_LIMIT,
        username_limit=10**9,
        window=settings.LOGIN_FAILURE_WINDOW,
    )
