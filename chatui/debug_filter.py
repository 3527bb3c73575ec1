"""What Django's DEBUG error page may show of the settings and the environment.

Django's ``SafeExceptionReporterFilter`` masks settings whose *name* matches
``API|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE``. chatui keeps credentials in
settings whose names say nothing of the kind: ``S3MOCK_CREDENTIALS`` (the mock's
``ACCESS:SECRET`` pairs), ``DATABASE_URL`` and ``REDIS_URL`` (a password may sit in
the URL), and ``DATABASES`` (its ``PASSWORD``). The pattern below adds those, and
``LLM_BASE_URL``, which may carry a key in its query string. Used through
``DEFAULT_EXCEPTION_REPORTER_FILTER``, Django's documented hook.
"""

from __future__ import annotations

import re

from django.views.debug import SafeExceptionReporterFilter

CREDENTIAL_SETTINGS = re.compile(
    r"API|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|CREDENTIAL|DATABASE|REDIS|BROKER|DSN|LLM_BASE_URL",
    flags=re.IGNORECASE,
)


class CredentialMaskingFilter(SafeExceptionReporterFilter):
    """Django's filter with a pattern that also covers chatui's credential-bearing names."""

    hidden_settings = CREDENTIAL_SETTINGS
