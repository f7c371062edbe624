"""Delta rounds: follow @odata.nextLink to @odata.deltaLink, collecting changed and removed items."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from outlooksync.graph.errors import DeltaExpired, GraphProtocolError, GraphUnavailable
from outlooksync.graph.transport import GraphTransport, error_from

EXPIRED_CODES = frozenset({"syncstatenotfound", "resyncrequired", "syncstateinvalid"})
MAX_PAGES_PER_ROUND = 2000
MAX_ITEMS_PER_PAGE = 1000
PAGE_SIZE = 200


@dataclass
class DeltaRound:
    """What one delta round found: the last state of each changed item, removed ids and the next delta link.

    An item may repeat within a round; the last appearance wins (and a removal after a change removes it).
    `removed` maps each removed id to Graph's reason ("deleted", or "changed" for an event that left the view).
    """

    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    removed: dict[str, str] = field(default_factory=dict)
    delta_link: str = ""
    pages: int = 0


def delta_round(
    transport: GraphTransport,
    start: str,
    *,
    params: Mapping[str, str] | None = None,
    page_size: int = PAGE_SIZE,
    max_pages: int = MAX_PAGES_PER_ROUND,
) -> DeltaRound:
    """Run one delta round from `start` (a delta path with `params`, or a stored delta link).

    Raises DeltaExpired when Graph no longer knows the token (410, syncStateNotFound, resyncRequired).
    """
    result = DeltaRound()
    url, query = start, (None if start.startswith("https://") or start.startswith("http://") else params)
    while True:
        if result.pages >= max_pages:
            raise GraphProtocolError(f"delta round did not end within {max_pages} pages")
        response = transport.request("GET", url, params=query, prefer=(f"odata.maxpagesize={page_size}",))
        query = None
        result.pages += 1
        if not response.ok:
            error = error_from(response.status, response.body)
            if response.status == 410 or error.code.lower() in EXPIRED_CODES:
                raise DeltaExpired(str(error), status=response.status, code=error.code)
            raise error
        body = response.body
        if not isinstance(body, dict) or not isinstance(body.get("value", []), list):
            raise GraphProtocolError("delta page without a value list")
        values = body.get("value", [])
        if len(values) > MAX_ITEMS_PER_PAGE:
            raise GraphProtocolError("delta page over the item limit")
        for item in values:
            if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not item["id"]:
                raise GraphProtocolError("delta item without an id")
            item_id = item["id"][:512]
            if "@removed" in item:
                reason = item["@removed"].get("reason", "deleted") if isinstance(item["@removed"], dict) else "deleted"
                result.items.pop(item_id, None)
                result.removed[item_id] = str(reason)[:20]
            else:
                result.removed.pop(item_id, None)
                result.items[item_id] = item
        next_link, delta_link = body.get("@odata.nextLink"), body.get("@odata.deltaLink")
        if isinstance(delta_link, str) and delta_link:
            transport.url(delta_link)  # refuses a link to another service
            result.delta_link = delta_link
            return result
        if not isinstance(next_link, str) or not next_link:
            raise GraphUnavailable("delta page with neither a next link nor a delta link")
        url = next_link
