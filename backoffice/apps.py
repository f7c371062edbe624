from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "backoffice"
    verbose_name = "Organizations and users"

    def ready(self) -> None:
        from backoffice import schema  # noqa: F401  (registers the API key auth scheme)
        from backoffice.models.deletes import connect_change_tracking

        connect_change_tracking()
        from backoffice.org_settings import CHANGE_LOG_SECTION, register_core_sections, settings_sections

        if CHANGE_LOG_SECTION not in settings_sections:  # ready() runs again when a test rebuilds the apps
            register_core_sections()
        from django.contrib.auth.signals import user_logged_in

        from backoffice.display import DISPLAY_SECTION, register_display_section, warm_display_format

        if DISPLAY_SECTION not in settings_sections:
            register_display_section()
        user_logged_in.connect(warm_display_format, dispatch_uid="warm_display_format")
        from backoffice.menu import MenuEntry, menu

        menu.register(MenuEntry("system", "Configuration", "configuration", order=800, admin_only=True))
        menu.register(MenuEntry("system", "Administration", "admin:index", order=900, admin_only=True))
