from django.apps import AppConfig


class S3MockConfig(AppConfig):
    name = "s3mock"
    verbose_name = "S3-compatible mock endpoint"
