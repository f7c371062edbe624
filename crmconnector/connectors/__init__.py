"""Connectors to external CRMs: the interface (base), the registry and the built-in connectors."""

from crmconnector.connectors.base import (
    ConnectorSettings,
    CrmConflict,
    CrmConnector,
    CrmCustomer,
    CrmError,
    CrmNetworkError,
    CrmNotFound,
    CrmPage,
    CrmTimeout,
    CrmUnavailable,
    CrmValidationError,
    PropertySpec,
)
from crmconnector.connectors.registry import connector_registry

__all__ = [
    "ConnectorSettings",
    "CrmConflict",
    "CrmConnector",
    "CrmCustomer",
    "CrmError",
    "CrmNetworkError",
    "CrmNotFound",
    "CrmPage",
    "CrmTimeout",
    "CrmUnavailable",
    "CrmValidationError",
    "PropertySpec",
    "connector_registry",
]
