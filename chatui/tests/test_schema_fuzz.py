"""Schema-driven fuzzing of the REST API (schemathesis) from its own OpenAPI schema.

Every operation in ``/api/schema/`` gets generated requests, valid and not, sent
through Django's WSGI handler with a real token, against a live s3mock. The one
property checked everywhere: no server error (5xx) — bad input is a typed 4xx.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
REAL_IDS: dict[str, str] = {}  # path parameter -> an id of the signed-in user's own object


@schema.hook
def map_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> Any:
    """Half the generated ids become the user's real file, chat or email, so requests
    reach the code past the lookup (chosen by the generated value: deterministic)."""
    if not path_parameters:
        return path_parameters
    return {
        name: REAL_IDS[name] if name in REAL_IDS and len(str(value)) % 2 == 0 else value
        for name, value in path_parameters.items()
    }


@pytest.fixture
def fuzz_storage(s3mock_server: Any, settings: Any) -> Iterator[None]:
    """The session's live s3mock with a bucket of this test's own (not parametrized)."""
    from files import storage

    settings.S3_ENDPOINT = s3mock_server.endpoint
    settings.S3_ACCESS_KEY = s3mock_server.access_key
    settings.S3_SECRET_KEY = s3mock_server.secret_key
    settings.S3_BUCKET = f"fuzz-{uuid.uuid4().hex[:12]}"
    settings.S3_AUTO_CREATE_BUCKET = True
    storage.ensure_bucket()
    yield
    storage.reset_storage()


@pytest.fixture
def token(db: None, fuzz_storage: None, make_stored_file: Any, user: Any) -> Iterator[str]:
    from chat.services import session_create

    session = session_create(owner=user, title="fuzzed")
    file = make_stored_file(content=b"a,b\n1,2\n", filename="t.csv", session_id=session.id)
    REAL_IDS.update(
        file_id=str(file.pk), session_id=str(session.pk), email=user.email, name="csv_summary"
    )
    yield Token.objects.get_or_create(user=user)[0].key
    REAL_IDS.clear()


@schema.parametrize()
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_server_errors(case: Any, token: str) -> None:
    response = case.call(headers={"Authorization": f"Token {token}"})

    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:300]}\n"
        f"{case.as_curl_command()}"
    )
