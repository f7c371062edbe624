"""The global search's registry: each kind of record the top bar's search finds is a source here.

The CRM registers its accounts, contacts, business customers, leads and opportunities
(accounts/selectors/search.py); another app registers its own kinds the same way, from its AppConfig.ready,
without `accounts` importing it (commerce: its customers and customer users). A source's key is unique:
registering one twice raises ValueError.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

from backoffice.registry import KeyedRegistry

MIN_LENGTH = 2  # fewer characters match too much to be of use
MIN_PHONE_DIGITS = 3


@dataclass(frozen=True)
class SearchTerm:
    """What was typed, and its digits when it may be (part of) a phone number."""

    text: str
    words: tuple[str, ...]
    digits: str

    @classmethod
    def parse(cls, raw: str) -> "SearchTerm | None":
        text = " ".join((raw or "").split())[:100]
        if len(text) < MIN_LENGTH:
            return None
        # "(202) 555-01" is a phone number typed as people write them; "Suite 55" is not.
        phone_like = re.fullmatch(r"[\d\s()+.\-/]+", text) is not None
        digits = re.sub(r"\D", "", text) if phone_like else ""
        return cls(text=text, words=tuple(text.split(" ")), digits=digits if len(digits) >= MIN_PHONE_DIGITS else "")


@dataclass(frozen=True)
class SearchHit:
    """One result: the record's name, a detail that says which one it is (e-mail, account, ...), its page.

    `key` names the record as an activity's related record ("app_label.model:id"), for the pickers that
    reuse these sources; a kind of record no activity attaches to leaves it empty.
    """

    label: str
    detail: str
    url: str
    key: str = ""


@dataclass(frozen=True)
class SearchSource:
    """A kind of record: `search(actor=, term=, limit=)` returns at most `limit` hits in one query."""

    key: str
    label: str  # the group's title, plural ("Contacts")
    search: Callable[..., list[SearchHit]]
    order: int = 100


search_sources: KeyedRegistry[SearchSource] = KeyedRegistry("search source")
