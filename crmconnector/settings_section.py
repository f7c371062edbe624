"""The CRM connector's place on the organization's Configuration page: on or off, and the configuration in use.

The switch itself is the connector's activation (crmconnector.services.activation_update): the section has no
settings of its own, only the activation form under its title.
"""

from django.urls import reverse

from backoffice.org_settings import SettingsSection, settings_sections

SECTION = "crm_connector"


def activation_extra(actor) -> tuple[str, dict] | None:
    from crmconnector.forms import ActivationForm
    from crmconnector.models import CrmConnectorActivation, CrmConnectorConfiguration

    organization_id = actor.organization_id
    if not organization_id:
        return None
    activation = CrmConnectorActivation.objects.filter(organization_id=organization_id).first()
    initial = {
        "enabled": bool(activation and activation.enabled),
        "configuration": activation and activation.configuration_id,
    }
    form = ActivationForm(organization_id=organization_id, initial=initial)
    count = CrmConnectorConfiguration.objects.filter(organization_id=organization_id).count()
    context = {"form": form, "next": reverse("configuration"), "count": count}
    return "crmconnector/_activation_section.html", context


def register_section() -> None:
    settings_sections.register(
        SettingsSection(
            key=SECTION,
            title="CRM connector",
            description="With the connector enabled, the POS and the order screens search, show, create and edit "
            "customers in the external CRM of the chosen configuration; switched off, the standard customer "
            "selector is back.",
            fields={},
            defaults={},
            order=210,
            page_extra=activation_extra,
        )
    )
