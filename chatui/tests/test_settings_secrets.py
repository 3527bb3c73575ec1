"""Production settings refuse the public development S3 credentials wherever they could
be used from another machine; runs3mock refuses to serve them to other machines.

(The SECRET_KEY, ALLOWED_HOSTS and S3_USE_MOCK=false cases: test_settings.py; a
non-loopback bind without --allow-remote: s3mock/tests/test_app.py.)
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from chatui.tests.test_settings import PRODUCTION, load_settings


@pytest.mark.parametrize(
    "endpoint", ["http://s3mock.internal:8003", "http://10.0.0.5:8003", "http://0.0.0.0:8003"]
)
def test_production_refuses_dev_s3_credentials_on_a_reachable_mock(endpoint: str) -> None:
    result = load_settings({**PRODUCTION, "S3_USE_MOCK": "true", "S3_ENDPOINT": endpoint})

    assert result.returncode != 0
    assert "S3_SECRET_KEY has its development value" in result.stderr


def test_production_with_the_mock_on_loopback_or_own_credentials_loads() -> None:
    loopback = load_settings({**PRODUCTION, "S3_ENDPOINT": "http://127.0.0.1:8003"})
    own = load_settings(
        {**PRODUCTION, "S3_ENDPOINT": "http://s3mock.internal:8003", "S3_SECRET_KEY": "x" * 32}
    )

    assert loopback.returncode == 0, loopback.stderr
    assert own.returncode == 0, own.stderr


def test_runs3mock_refuses_remote_clients_with_the_development_credentials(
    tmp_path: Path,
) -> None:
    with pytest.raises(CommandError, match="development credentials"):
        call_command(
            "runs3mock",
            "--host=0.0.0.0",
            "--allow-remote",
            f"--data-dir={tmp_path}",
            "--credentials=chatui-dev:chatui-dev-secret",
        )
