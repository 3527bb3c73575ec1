from django.apps import AppConfig


class ToolsConfig(AppConfig):
    name = "tools"
    verbose_name = "Tools"

    def ready(self) -> None:
        # Registers the settings.TOOLS system check and the registry's
        # setting_changed receiver; tools themselves load lazily on first use.
        from . import checks  # noqa: F401
