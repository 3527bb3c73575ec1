from django.apps import AppConfig


class FilesConfig(AppConfig):
    name = "files"
    verbose_name = "Files"

    def ready(self) -> None:
        # Connects the setting_changed receiver that drops the cached S3 storage.
        from . import storage  # noqa: F401
