"""The combined application menu: apps register entries; sections with no entry are not shown.

`accounts` and `commerce` register their pages from their AppConfig.ready(), so the menu grows
with the product and never lists a page that does not exist.
"""

from dataclasses import dataclass, field

from django.urls import NoReverseMatch, reverse

# Sections are shared: several apps add entries to one section ("customers" holds the CRM's accounts and
# contacts and commerce's customers and customer users; "sales" holds every app's selling pages).
SECTIONS = (
    ("customers", "Customers"),
    ("sales", "Sales"),
    ("crm", "CRM"),
    ("commerce", "Commerce"),
    ("system", "System"),
)


@dataclass(frozen=True)
class MenuEntry:
    section: str
    label: str
    url_name: str
    order: int = 100
    admin_only: bool = False


@dataclass
class MenuRegistry:
    entries: list[MenuEntry] = field(default_factory=list)

    def register(self, entry: MenuEntry) -> None:
        if entry.section not in dict(SECTIONS):
            raise ValueError(f"Unknown menu section {entry.section!r}")
        if entry not in self.entries:
            self.entries.append(entry)

    def for_user(self, user) -> list[dict]:
        """Sections with the entries this user may see, in menu order."""
        is_admin = user.is_superuser or getattr(user, "is_org_admin", False)
        sections = []
        for key, label in SECTIONS:
            items = sorted(
                (e for e in self.entries if e.section == key and (is_admin or not e.admin_only)),
                key=lambda e: (e.order, e.label),
            )
            links = []
            for entry in items:
                try:
                    links.append((entry.label, reverse(entry.url_name)))
                except NoReverseMatch:  # registered by an app whose page is not routed (yet)
                    continue
            if links:
                sections.append({"key": key, "label": label, "items": links})
        return sections


menu = MenuRegistry()


def menu_context(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"menu_sections": []}
    return {"menu_sections": menu.for_user(user)}
