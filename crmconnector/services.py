"""Writes of the CRM connector's configuration, the connection test, and the connector a configuration runs."""

import functools
import threading
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat

from backoffice.changes import change_context
from backoffice.models import User
from backoffice.org_settings import can_configure
from crmconnector.connectors.base import ConnectorSettings, CrmError, PropertySpec
from crmconnector.connectors.registry import connector_registry
from crmconnector.guard import GuardedConnector
from crmconnector.models import (
    CREDENTIALS_CHANGE,
    CREDENTIALS_NONE,
    CREDENTIALS_REPLACED,
    CREDENTIALS_SET,
    CrmConnectorActivation,
    CrmConnectorConfiguration,
    CrmConnectorProperty,
    properties_problems,
)

PROPERTIES_ERROR_KEY = "properties"


def _as_actor(function):
    """Writes of the function are logged as the actor's (the origin is the caller's: web, API, admin...)."""

    @functools.wraps(function)
    def wrapper(*args, actor: User, **kwargs):
        with change_context(actor=actor):
            return function(*args, actor=actor, **kwargs)

    return wrapper


def _check_admin(actor: User) -> None:
    if not can_configure(actor) or not actor.organization_id:
        raise PermissionDenied("Only the organization's admins configure the CRM connector.")


@_as_actor
@transaction.atomic
def configuration_save(
    *,
    actor: User,
    configuration: CrmConnectorConfiguration,
    properties: list[CrmConnectorProperty],
    secret: str | None = None,
) -> CrmConnectorConfiguration:
    """Save a configuration with its whole set of properties (stored ones left out are deleted), all checked
    first; `secret` None keeps the stored one.

    The configuration row is locked while its properties are replaced, so two admins saving at once
    do not mix their property sets; every save moves the revision (connectors are rebuilt from it).
    """
    _check_admin(actor)
    had_secret = False
    creating = configuration.pk is None
    if creating:
        configuration.organization_id = actor.organization_id
    else:
        stored = CrmConnectorConfiguration.objects.select_for_update().filter(pk=configuration.pk).first()
        if stored is None or stored.organization_id != actor.organization_id:
            raise PermissionDenied("This configuration belongs to another organization.")
        configuration.revision = stored.revision + 1
        had_secret = stored.has_secret
        if secret is None:
            configuration.secret_encrypted = stored.secret_encrypted
    if secret is not None:
        configuration.set_secret(secret)
    errors: dict[str, list] = {}
    try:
        configuration.full_clean(exclude=["organization"], validate_unique=False)
    except ValidationError as error:
        errors.update(error.message_dict)
    if (
        CrmConnectorConfiguration.objects.filter(organization_id=configuration.organization_id, name=configuration.name)
        .exclude(pk=configuration.pk)
        .exists()
    ):
        errors.setdefault("name", []).append("Another configuration has this name.")
    problems: list[str] = []
    for prop in properties:
        if prop.pk and prop.configuration_id != configuration.pk:
            raise PermissionDenied("A property belongs to another configuration.")
        prop.configuration = configuration
        prop.organization_id = configuration.organization_id
        try:
            prop.full_clean(exclude=["configuration"], validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            problems.extend(f"{prop.label or prop.external_field}: {message}" for message in error.messages)
    problems.extend(properties_problems(properties))
    if problems:
        errors[PROPERTIES_ERROR_KEY] = problems
    if errors:
        raise ValidationError(errors)
    configuration.save(extra_changes=_credentials_change(had_secret, secret, creating=creating))
    kept_ids = [p.pk for p in properties if p.pk]
    stored_properties = CrmConnectorProperty.objects.filter(configuration=configuration)
    stored_properties.exclude(pk__in=kept_ids).delete()
    # Flags unique per configuration are cleared and fields renamed first, so that swapping them between
    # two properties in one save does not collide with the row not yet written. That step is not a change
    # anyone made: it is written without a change log entry, each property's save logs its real changes
    # (against the values read before), then puts back the unique columns it did not change.
    CrmConnectorProperty._base_manager.filter(configuration=configuration).update(
        is_reference=False,
        is_document_identifier=False,
        use_as="",
        external_field=Concat(Value("~"), Cast("id", output_field=CharField())),
    )
    for prop in properties:
        existing = prop.pk is not None
        prop.save()
        if existing:
            CrmConnectorProperty._base_manager.filter(pk=prop.pk).update(
                **{name: getattr(prop, name) for name in UNIQUE_COLUMNS}
            )
    return configuration


# The columns of a property that are unique per configuration (cleared while a set of properties is written).
UNIQUE_COLUMNS = ("is_reference", "is_document_identifier", "use_as", "external_field")


def _credentials_change(had_secret: bool, secret: str | None, *, creating: bool) -> dict | None:
    """What the change log says of a new secret: that it was set, replaced or removed, never a value."""
    if secret is None or (not secret and not had_secret):
        return None
    old = None if creating else CREDENTIALS_SET if had_secret else CREDENTIALS_NONE
    new = (CREDENTIALS_REPLACED if had_secret else CREDENTIALS_SET) if secret else CREDENTIALS_NONE
    return {CREDENTIALS_CHANGE: [old, new]}


@_as_actor
@transaction.atomic
def configuration_delete(*, actor: User, configuration: CrmConnectorConfiguration) -> None:
    """Delete a configuration that no organization uses."""
    _check_admin(actor)
    if configuration.organization_id != actor.organization_id:
        raise PermissionDenied("This configuration belongs to another organization.")
    activations = CrmConnectorActivation.objects.select_for_update().filter(configuration=configuration)
    if any(activation.enabled for activation in activations):
        raise ValidationError("This configuration is the one in use: choose another one (or switch off) first.")
    activations.update(configuration=None)
    configuration.delete()


@_as_actor
@transaction.atomic
def activation_update(
    *, actor: User, enabled: bool, configuration: CrmConnectorConfiguration | None
) -> CrmConnectorActivation:
    """Switch the CRM connector on (with a configuration) or off for the actor's organization, at any time."""
    _check_admin(actor)
    activation, _ = CrmConnectorActivation.objects.select_for_update().get_or_create(
        organization_id=actor.organization_id
    )
    if configuration is not None and configuration.organization_id != actor.organization_id:
        raise ValidationError({"configuration": "Choose a configuration of your organization."})
    if enabled and configuration is None:
        raise ValidationError({"configuration": "Choose the configuration to use."})
    if enabled and not configuration.properties.filter(is_reference=True).exists():
        raise ValidationError({"configuration": "This configuration has no reference key property yet."})
    activation.enabled = enabled
    activation.configuration = configuration
    activation.save()
    return activation


@dataclass(frozen=True)
class CrmRuntime:
    """A configuration ready to call: its guarded connector and its properties (as read at its revision)."""

    configuration_id: int
    revision: int
    connector: GuardedConnector
    properties: tuple[CrmConnectorProperty, ...]


# Connectors reuse their HTTP connections across requests: one per configuration revision, per process.
_runtimes: dict[int, CrmRuntime] = {}
_runtimes_lock = threading.Lock()


def property_spec(prop: CrmConnectorProperty) -> PropertySpec:
    return PropertySpec(
        external_field=prop.external_field,
        label=prop.label,
        property_type=prop.property_type,
        searchable=prop.searchable,
        is_reference=prop.is_reference,
        use_as=prop.use_as,
        combo_values=tuple(o["value"] for o in prop.combo_options or () if isinstance(o, dict) and "value" in o),
    )


def crm_runtime(configuration: CrmConnectorConfiguration) -> CrmRuntime:
    """The guarded connector of a configuration (built once per revision and process)."""
    runtime = _runtimes.get(configuration.pk)
    if runtime is not None and runtime.revision == configuration.revision:
        return runtime
    properties = tuple(configuration.properties.all())
    settings = ConnectorSettings(
        base_url=configuration.base_url,
        timeout=float(configuration.timeout_seconds),
        username=configuration.username,
        secret=configuration.get_secret(),
        options=dict(configuration.options or {}),
        properties=tuple(property_spec(p) for p in properties),
    )
    connector = connector_registry.get(configuration.connector)(settings)
    guarded = GuardedConnector(
        connector,
        name=f"{configuration.pk}.{configuration.revision}",
        timeout=configuration.timeout_seconds,
    )
    runtime = CrmRuntime(configuration.pk, configuration.revision, guarded, properties)
    with _runtimes_lock:
        old = _runtimes.get(configuration.pk)
        _runtimes[configuration.pk] = runtime
    if old is not None and old.revision != runtime.revision:
        old.connector.connector.close()
    return runtime


def connection_test(*, actor: User, configuration: CrmConnectorConfiguration) -> tuple[bool, str]:
    """Run the connector's health check: (it answered, what to tell the admin)."""
    _check_admin(actor)
    if configuration.organization_id != actor.organization_id:
        raise PermissionDenied("This configuration belongs to another organization.")
    try:
        crm_runtime(configuration).connector.health_check()
    except CrmError as error:
        return False, f"The connection failed: {error.message}"
    return True, "The CRM answered and accepted the credentials."
