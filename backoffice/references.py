"""External references: "this record is known as X in system S", looked up both ways.

Web store ingestion, the Outlook links and the CRM connector keep the ids other systems give our
records here (or in models that follow the same rules: unique per organization and system, both ways).
"""

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction

from backoffice.models import ExternalReference


def _content_type(model) -> ContentType:
    return ContentType.objects.get_for_model(model)


@transaction.atomic
def external_reference_set(*, system: str, external_id: str, record: models.Model) -> ExternalReference:
    """Say that `record` is `external_id` in `system` (replacing the id it had there before).

    Refused when that id already names another record of the organization in the system.
    """
    if not external_id or len(external_id) > 255:
        raise ValidationError({"external_id": "An external id is 1 to 255 characters."})
    content_type = _content_type(type(record))
    reference = (
        ExternalReference.objects.select_for_update()
        .filter(organization_id=record.organization_id, system=system, content_type=content_type, object_id=record.pk)
        .first()
    )
    if reference is None:
        reference = ExternalReference(
            organization_id=record.organization_id, system=system, content_type=content_type, object_id=record.pk
        )
    if reference.pk and reference.external_id == external_id:
        return reference
    reference.external_id = external_id
    reference.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            reference.save()
    except IntegrityError:
        raise ValidationError({"external_id": f"{external_id!r} already names another record in {system}."}) from None
    return reference


def external_reference_record(*, organization_id: int, system: str, external_id: str, model) -> models.Model | None:
    """The record of `model` known as `external_id` in `system`, if any."""
    object_id = (
        ExternalReference.objects.filter(
            organization_id=organization_id, system=system, external_id=external_id, content_type=_content_type(model)
        )
        .values_list("object_id", flat=True)
        .first()
    )
    if object_id is None:
        return None
    return model._default_manager.filter(pk=object_id, organization_id=organization_id).first()


def external_reference_id(*, system: str, record: models.Model) -> str | None:
    """The id `record` has in `system`, if any."""
    return (
        ExternalReference.objects.filter(
            organization_id=record.organization_id,
            system=system,
            content_type=_content_type(type(record)),
            object_id=record.pk,
        )
        .values_list("external_id", flat=True)
        .first()
    )


def external_reference_ids(*, system: str, model, object_ids) -> dict[int, str]:
    """The ids many records of `model` have in `system` (one query), by record id."""
    return dict(
        ExternalReference.objects.filter(
            system=system, content_type=_content_type(model), object_id__in=list(object_ids)
        ).values_list("object_id", "external_id")
    )


def external_reference_remove(*, system: str, record: models.Model) -> int:
    """Forget the id `record` has in `system`; returns how many references went (0 or 1)."""
    deleted, _ = ExternalReference.objects.filter(
        organization_id=record.organization_id,
        system=system,
        content_type=_content_type(type(record)),
        object_id=record.pk,
    ).delete()
    return deleted
