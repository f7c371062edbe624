"""Extra panels of record pages, registered by the apps that have something to say about a record.

A panel names the record types it shows on (change type names such as "contact") and the URL name of a
fragment taking (record_type, pk) that the page loads with htmx, the way the History card is loaded: the
record's app never imports the panel's app (the Outlook sync adds its "Outlook sync" panel this way).
"""

from dataclasses import dataclass

from backoffice.registry import KeyedRegistry


@dataclass(frozen=True)
class RecordPanel:
    key: str
    title: str
    record_types: tuple[str, ...]
    url_name: str
    order: int = 100


class RecordPanelRegistry(KeyedRegistry[RecordPanel]):
    def add(self, panel: RecordPanel) -> None:
        self.register(panel.key, panel)

    def for_type(self, record_type: str) -> list[RecordPanel]:
        return sorted(
            (panel for panel in self.items.values() if record_type in panel.record_types),
            key=lambda panel: (panel.order, panel.title),
        )


record_panels = RecordPanelRegistry("record panel")
