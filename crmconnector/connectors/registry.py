"""The registered connectors: built-in ones, ones registered in code, and ones installed as packages.

A package adds a connector without any change here by declaring an entry point in the group
`backoffice.crm_connectors` (`name = "package.module:ConnectorClass"`); code can also call
`connector_registry.register(ConnectorClass)`. Keys are unique: a second connector with a key
already taken is refused and logged, never silently preferred.
"""

import logging
from importlib.metadata import entry_points

from backoffice.registry import check_not_registered
from crmconnector.connectors.base import CrmConnector

ENTRY_POINT_GROUP = "backoffice.crm_connectors"
logger = logging.getLogger("crmconnector")


class ConnectorRegistry:
    """Connector classes by key."""

    def __init__(self) -> None:
        self._connectors: dict[str, type[CrmConnector]] = {}
        self._entry_points_loaded = False

    def register(self, connector: type[CrmConnector]) -> type[CrmConnector]:
        """Register a connector class (usable as a class decorator)."""
        if not (isinstance(connector, type) and issubclass(connector, CrmConnector)):
            raise TypeError(f"{connector!r} is not a CrmConnector subclass.")
        key = getattr(connector, "key", "")
        if not isinstance(key, str) or not key or len(key) > 50:
            raise ValueError(f"{connector.__name__} needs a key of 1 to 50 characters.")
        if not getattr(connector, "label", ""):
            raise ValueError(f"{connector.__name__} needs a label.")
        check_not_registered("CRM connector", key, self._connectors)
        self._connectors[key] = connector
        return connector

    def unregister(self, key: str) -> None:
        self._connectors.pop(key, None)

    def load_entry_points(self) -> None:
        """Register the connectors installed packages declare (once; a broken one is logged and skipped)."""
        if self._entry_points_loaded:
            return
        self._entry_points_loaded = True
        for entry_point in entry_points(group=ENTRY_POINT_GROUP):
            try:
                connector = entry_point.load()
                if getattr(connector, "key", None) != entry_point.name:
                    raise ValueError(f"the entry point name must be the connector's key {connector.key!r}")
                self.register(connector)
            except Exception as error:  # a third party's package must not stop the product from starting
                logger.error("CRM connector entry point %s not registered: %s", entry_point.name, error)

    def get(self, key: str) -> type[CrmConnector]:
        self.load_entry_points()
        try:
            return self._connectors[key]
        except KeyError:
            raise KeyError(f"No CRM connector {key!r}.") from None

    def __contains__(self, key: str) -> bool:
        self.load_entry_points()
        return key in self._connectors

    def choices(self) -> list[tuple[str, str]]:
        """(key, label) of every registered connector, by label."""
        self.load_entry_points()
        return sorted(((key, c.label) for key, c in self._connectors.items()), key=lambda item: item[1])


connector_registry = ConnectorRegistry()
