from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "backoffice"
    verbose_name = "Organizations and users"

    def ready(self) -> None:
        from backoffice import schema  # noqa: F401  (registers the API key auth scheme)
        from backoffice.menu import MenuEntry, menu

        menu.register(MenuEntry("system", "Administration", "admin:index", order=900, admin_only=True))
